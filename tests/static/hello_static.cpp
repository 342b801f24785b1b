// Proof that the static toolchain works: one static binary that starts a libtorrent session
// listening on 127.0.0.1 and round-trips a tar through libarchive (gzip and zstd filters, the tar
// reader, and the disk writer with xattrs and ACLs: exactly the calls the agent makes).
// Prints "OK" and exits 0; on a fault prints one line naming the step and exits 1.
// Runs in an empty chroot: no files, no shared libraries, numeric addresses only.

#include <archive.h>
#include <archive_entry.h>

#include <libtorrent/alert_types.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/settings_pack.hpp>

#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view payload = "hello from a static si_btagent toolchain\n";
// How long the session may take to open its listen socket; it is instant on loopback.
constexpr auto listen_deadline = std::chrono::seconds(5);

bool fail(const std::string& step) {
    std::fprintf(stderr, "hello_static: %s\n", step.c_str());
    return false;
}

bool listen_on_loopback() {
    lt::settings_pack pack;
    pack.set_str(lt::settings_pack::listen_interfaces, "127.0.0.1:0");
    pack.set_bool(lt::settings_pack::enable_dht, false);
    pack.set_bool(lt::settings_pack::enable_lsd, false);
    pack.set_bool(lt::settings_pack::enable_upnp, false);
    pack.set_bool(lt::settings_pack::enable_natpmp, false);
    pack.set_int(lt::settings_pack::alert_mask,
                 lt::alert_category::status | lt::alert_category::error);
    lt::session session(std::move(pack));

    const auto deadline = std::chrono::steady_clock::now() + listen_deadline;
    while (std::chrono::steady_clock::now() < deadline) {
        session.wait_for_alert(std::chrono::milliseconds(200));
        std::vector<lt::alert*> alerts;
        session.pop_alerts(&alerts);
        for (lt::alert* a : alerts) {
            if (auto* ok = lt::alert_cast<lt::listen_succeeded_alert>(a)) {
                if (ok->socket_type == lt::socket_type_t::tcp) {
                    std::printf("session: %s\n", ok->message().c_str());
                    return true;
                }
            } else if (auto* bad = lt::alert_cast<lt::listen_failed_alert>(a)) {
                return fail("session listen: " + bad->message());
            }
        }
    }
    return fail("session listen: no answer within 5 s");
}

using add_filter_fn = int (*)(archive*);

// Writes one regular file entry into a tar with the given filter; returns the bytes, empty on
// failure. The filter is named by its own function: archive_write_add_filter(code) would link
// every compressor libarchive knows.
std::vector<char> make_tar(add_filter_fn add_filter) {
    std::vector<char> buf(64 * 1024);
    std::size_t used = 0;
    archive* w = archive_write_new();
    archive_write_set_format_pax_restricted(w);
    add_filter(w);
    if (archive_write_open_memory(w, buf.data(), buf.size(), &used) != ARCHIVE_OK) {
        fail(std::string("archive_write_open_memory: ") + archive_error_string(w));
        archive_write_free(w);
        return {};
    }
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, "hello.txt");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(payload.size()));
    archive_entry_set_uid(e, geteuid());  // numeric owners only: the agent never looks names up
    archive_entry_set_gid(e, getegid());
    const bool ok = archive_write_header(w, e) == ARCHIVE_OK &&
                    archive_write_data(w, payload.data(), payload.size()) ==
                        static_cast<la_ssize_t>(payload.size()) &&
                    archive_write_close(w) == ARCHIVE_OK;
    if (!ok)
        fail(std::string("archive_write: ") + archive_error_string(w));
    archive_entry_free(e);
    archive_write_free(w);
    if (!ok)
        return {};
    buf.resize(used);
    return buf;
}

// Reads the tar with the agent's reader set-up and extracts it below dir.
bool read_and_extract(const std::vector<char>& tar, const std::string& dir, const char* what) {
    archive* r = archive_read_new();
    archive_read_support_format_tar(r);
    archive_read_support_filter_gzip(r);
    archive_read_support_filter_zstd(r);
    archive* disk = archive_write_disk_new();
    archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM |
                                             ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
                                             ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_FFLAGS |
                                             ARCHIVE_EXTRACT_SECURE_NODOTDOT);
    bool ok = archive_read_open_memory(r, tar.data(), tar.size()) == ARCHIVE_OK;
    archive_entry* e = nullptr;
    std::string got;
    while (ok) {
        const int rc = archive_read_next_header(r, &e);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc != ARCHIVE_OK) {
            ok = false;
            break;
        }
        const std::string dest = dir + "/" + archive_entry_pathname(e);
        archive_entry_set_pathname(e, dest.c_str());
        ok = archive_write_header(disk, e) == ARCHIVE_OK;
        char block[4096];
        la_ssize_t n = 0;
        while (ok && (n = archive_read_data(r, block, sizeof block)) > 0) {
            got.append(block, static_cast<std::size_t>(n));
            ok = archive_write_data(disk, block, static_cast<std::size_t>(n)) == n;
        }
        ok = ok && n == 0 && archive_write_finish_entry(disk) == ARCHIVE_OK;
    }
    if (!ok) {
        fail(std::string(what) +
             " extract: " + (archive_error_string(r) ? archive_error_string(r) : "") + " " +
             (archive_error_string(disk) ? archive_error_string(disk) : ""));
    } else if (got != payload) {
        ok = fail(std::string(what) + " extract: content differs");
    }
    archive_read_free(r);
    archive_write_free(disk);
    return ok;
}

bool archive_round_trip(const char* what, add_filter_fn add_filter) {
    const std::vector<char> tar = make_tar(add_filter);
    if (tar.empty())
        return false;
    char dir[] = "./hello-static.XXXXXX";  // the chroot may have no /tmp
    if (mkdtemp(dir) == nullptr)
        return fail(std::string(what) + " mkdtemp failed");
    const bool ok = read_and_extract(tar, dir, what);
    unlink((std::string(dir) + "/hello.txt").c_str());
    rmdir(dir);
    if (ok)
        std::printf("%s tar: %zu bytes, extracted\n", what, tar.size());
    return ok;
}

}  // namespace

int main() {
    try {
        if (!listen_on_loopback())
            return 1;
        if (!archive_round_trip("gzip", archive_write_add_filter_gzip))
            return 1;
        if (!archive_round_trip("zstd", archive_write_add_filter_zstd))
            return 1;
    } catch (const std::exception& e) {
        fail(std::string("exception: ") + e.what());
        return 1;
    }
    std::printf("OK\n");
    return 0;
}
