#include "server/web_front.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>
#include <unordered_set>

#include "common/atomic_file.hpp"
#include "common/shell_conf.hpp"
#include "common/unique_fd.hpp"
#include "server/tracker/announce_query.hpp"
#include "server/tracker/peer_store.hpp"
#include "server/tracker/tracker_service.hpp"
#include "server/web/byte_range.hpp"
#include "server/web/request_origin.hpp"
#include "server/web/request_target.hpp"
#include "server/web/served_files.hpp"
#include "server/web/tcp_listen.hpp"

namespace si {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// A real announce request is well under 1 KiB; 8 KiB of headers is generous and bounded.
constexpr std::uint32_t max_header_bytes = 8 * 1024;
// A request must arrive within this; a reply is written in as many writes as the client's
// pace takes, each given this long to move bytes, the whole reply at most max_write_waits
// times it. A .torrent to a node behind a link busy with the swarm goes out slowly but
// steadily (64 nodes at 1 Mbit/s: 24 KB in about 12 s); one deadline for the whole write cut
// it off while it was still going. An idle client cannot hold a connection longer than this.
constexpr std::chrono::seconds io_timeout{10};
constexpr int max_write_waits = 12;
// Each connection costs a descriptor; the seeder in the same process needs its own, and the
// default RLIMIT_NOFILE is 1024.
constexpr std::size_t max_connections = 512;
// At the connection limit, new connections wait in the listen backlog (accepted in order as
// sessions end: answers carry "Connection: close" meanwhile), and a connection that has sent
// nothing for this long is closed to make room. Closing the longest-idle one at every accept
// (issue 15's first fix) closed fresh connections before their request was read: a storm of
// 2000 keep-alive announcers then got 547 answers/s and 178,627 transport errors in 20 s.
constexpr std::chrono::seconds min_idle_to_close{1};
// How often the limit is looked at again while new connections wait.
constexpr std::chrono::milliseconds room_check_period{250};
// How often expired peers are swept and the state is saved.
constexpr std::chrono::seconds maintenance_period{60};
// After a failed accept (EMFILE, ...), wait before trying again instead of spinning.
constexpr std::chrono::milliseconds accept_retry_delay{200};
// After an announce, the state is written within this (coalesced): a SIGKILL loses no more.
// The original saved only every 60 s and at a clean stop; nodes announced after a crash then
// waited for their next announce cycle, or failed.
constexpr std::chrono::seconds state_save_delay{1};
// A tracker state larger than this is not restored: a deployment's swarms hold a few thousand
// peers (~100 bytes each); a 38 MB file once restored 300,000 peers silently.
constexpr std::int64_t max_state_bytes = 4 * 1024 * 1024;

// A tarball's body is read and sent in chunks of this size: one chunk buffer per connection
// that streams one (512 connections: 64 MiB at most), and each read short enough that the
// reader thread serves the other streams in turn.
constexpr std::size_t file_chunk_bytes = 128 * 1024;
// Where the tarballs are served (server/web/served_files.hpp); BT_WEB_SEEDS=self names it.
constexpr std::string_view tarball_prefix = "/tarballs/";
constexpr const char* tarball_content_type = "application/octet-stream";

// The operator's commands (POST) live under this path; a POST elsewhere gets 405.
constexpr std::string_view command_prefix = "/nodes/";

// BT_TRACKER_STATE and its lock: the nodes' addresses and ports, for si_btd (root) alone.
constexpr mode_t state_file_mode = 0600;

std::string host_port(const std::string& address, std::uint16_t port) {
    return address + ":" + std::to_string(port);
}

// Writes `data` to `path` so that a crash leaves either the old file or the new one
// (atomic_file.hpp: temp file, fsync, rename, fsync of the directory).
Status write_file_atomic(const std::string& path, std::string_view data) {
    const std::string parent = std::filesystem::path(path).parent_path().string();
    Status st = parent.empty() ? Status(Ok{}) : make_directories(parent);
    if (st) {
        st = write_file_atomically(path, data, state_file_mode);
    }
    if (!st) {
        return Error{"tracker: save " + path + ": " + st.error().message, ErrorKind::io};
    }
    return Ok{};
}

class Session;

// Everything the asynchronous handlers touch; they hold it alive by shared_ptr, so a handler
// that runs after ~WebFront (with an aborted error) finds valid memory.
struct Core {
    Core(net::io_context& io, TrackerSettings s, Logger& l)
        : io(io),
          settings(std::move(s)),
          log(l),
          store(clock),
          service(store, settings.torrent_dir, l),
          acceptor(io),
          maintenance(io),
          accept_retry(io),
          room_check(io),
          state_save(io) {}

    net::io_context& io;
    TrackerSettings settings;
    Logger& log;
    SystemClock clock;
    PeerStore store;
    TrackerService service;
    tcp::acceptor acceptor;
    net::steady_timer maintenance;
    net::steady_timer accept_retry;
    net::steady_timer room_check;
    net::steady_timer state_save;
    std::function<Status()> save_state;  // set once the state is this tracker's to write
    WebFront::CommandHandler commands;   // the operator's POSTs; empty: 405
    bool save_pending = false;
    std::unordered_set<Session*> sessions;
    ServedFiles files;
    // Reads the tarballs' chunks (pread), so that the io_context's thread never waits on a
    // disk; its results are posted back to the io_context. Made by start(), joined by stop().
    std::unique_ptr<net::thread_pool> reader;
    std::uint64_t file_bytes_sent = 0;
    bool started = false;
    bool stopped = false;
    bool at_limit = false;  // the connection limit was reached and logged
    bool paused = false;    // at the limit: no accept outstanding until a session ends
};

// An announce changed the swarms: write the state within state_save_delay, once for all the
// announces of that time. A daemon killed at any moment loses at most that much.
void schedule_state_save(const std::shared_ptr<Core>& core) {
    if (core->save_pending || core->stopped || !core->save_state) {
        return;
    }
    core->save_pending = true;
    core->state_save.expires_after(state_save_delay);
    core->state_save.async_wait([core](beast::error_code ec) {
        core->save_pending = false;
        if (ec || core->stopped) {
            return;
        }
        if (auto st = core->save_state(); !st) {
            core->log.error(st.error().message);
        }
    });
}

void resume_accepting(const std::shared_ptr<Core>& core);

class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(tcp::socket socket, std::shared_ptr<Core> core)
        : stream_(std::move(socket)), core_(std::move(core)) {
        core_->sessions.insert(this);
        beast::error_code ec;
        remote_ = stream_.socket().remote_endpoint(ec).address();
        local_ = stream_.socket().local_endpoint(ec).address();
    }
    ~Session() {
        core_->sessions.erase(this);
        if (core_->paused && !core_->stopped) {
            net::post(core_->io, [core = core_] { resume_accepting(core); });
        }
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void start() { read(); }

    // Waiting for a request (a new connection or a kept-alive one), since when: the one
    // waiting longest is closed to make room when the connection limit is reached.
    bool idle() const { return waiting_; }
    std::chrono::steady_clock::time_point idle_since() const { return waiting_since_; }

    // Pending operations complete with operation_aborted; the last handler frees the session.
    void close() {
        waiting_ = false;  // never picked to make room twice
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream_.close();
    }

  private:
    void read() {
        parser_.emplace();
        parser_->header_limit(max_header_bytes);
        parser_->body_limit(0);  // requests carry no body
        waiting_ = true;
        waiting_since_ = std::chrono::steady_clock::now();
        stream_.expires_after(io_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&Session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        waiting_ = false;
        if (core_->stopped) {
            return;
        }
        if (ec == http::error::end_of_stream) {
            close();
            return;
        }
        if (ec) {
            // A broken request gets a short answer; a dead or timed-out socket gets nothing.
            if (&ec.category() == &http::make_error_code(http::error::bad_target).category()) {
                unsigned status = 400;
                if (ec == http::error::header_limit) {
                    status = 431;
                } else if (ec == http::error::body_limit || ec == http::error::unexpected_body) {
                    status = 413;
                }
                respond({status, text_content_type, "bad request: " + ec.message() + "\n", {}}, 11,
                        false);
            } else {
                close();
            }
            return;
        }
        const auto& req = parser_->get();
        auto method = req.method_string();
        auto target = req.target();
        if (req.method() == http::verb::post) {
            respond(command({target.data(), target.size()}), req.version(),
                    req.keep_alive() && !core_->paused);
            return;
        }
        const std::string_view path = split_request_target({target.data(), target.size()}).path;
        if (path.starts_with(tarball_prefix)) {
            serve_file(path.substr(tarball_prefix.size()));
            return;
        }
        HttpReply reply = core_->service.handle({method.data(), method.size()},
                                                {target.data(), target.size()}, remote_);
        if (tracker_page(split_request_target({target.data(), target.size()}).path) ==
            "/announce") {
            schedule_state_save(core_);
        }
        // At the limit, each answer frees its connection for one waiting in the backlog.
        respond(std::move(reply), req.version(), req.keep_alive() && !core_->paused);
    }

    // A POST: the operator's command, from this host only.
    HttpReply command(std::string_view target) {
        const RequestTarget split = split_request_target(target);
        if (!core_->commands || !split.path.starts_with(command_prefix)) {
            return {405, text_content_type, "method not allowed: only GET\n", {}};
        }
        if (!from_this_host(remote_, local_)) {
            core_->log.warn_repeated("refused command", "web: refused a command from " +
                                                            remote_.to_string() +
                                                            ": commands are taken only from "
                                                            "the image server itself");
            return {403,
                    text_content_type,
                    "forbidden: si_btd takes commands only from the image server itself\n",
                    {}};
        }
        return core_->commands(split.path, split.query, remote_.to_string());
    }

    void respond(HttpReply reply, unsigned version, bool keep_alive) {
        auto& res = response_.emplace(static_cast<http::status>(reply.status), version);
        res.set(http::field::server, "si_btd");
        res.set(http::field::content_type, reply.content_type);
        if (reply.status == 405) {
            res.set(http::field::allow, allow_);
        }
        for (const auto& [name, value] : reply.headers) {
            res.set(name, value);
        }
        res.body() = std::move(reply.body);
        res.keep_alive(keep_alive);
        res.prepare_payload();
        serializer_.emplace(res);
        write_give_up_ = std::chrono::steady_clock::now() + max_write_waits * io_timeout;
        write_some();
    }

    void write_some() {
        stream_.expires_at(std::min(std::chrono::steady_clock::now() + io_timeout, write_give_up_));
        http::async_write_some(
            stream_, *serializer_,
            beast::bind_front_handler(&Session::on_write_some, shared_from_this()));
    }

    void on_write_some(beast::error_code ec, std::size_t) {
        if (core_->stopped) {
            return;
        }
        if (!ec && !serializer_->is_done()) {
            write_some();
            return;
        }
        const bool keep_alive = response_->keep_alive();
        serializer_.reset();
        response_.reset();
        allow_ = "GET";
        if (ec || !keep_alive) {
            close();
            return;
        }
        read();
    }

    // GET or HEAD /tarballs/<encoded_name>: the range asked for, or the whole file.
    void serve_file(std::string_view encoded_name) {
        const auto& req = parser_->get();
        const unsigned version = req.version();
        const bool keep_alive = req.keep_alive() && !core_->paused;
        const bool head = req.method() == http::verb::head;
        if (!head && req.method() != http::verb::get) {
            allow_ = "GET, HEAD";
            respond({405, text_content_type, "method not allowed: only GET and HEAD\n", {}},
                    version, keep_alive);
            return;
        }
        FileRefusal refusal;
        auto name = percent_decode(encoded_name, false);
        Result<OpenedFile> opened = Error{"bad name"};
        if (name) {
            opened = core_->files.open(*name, refusal);
        }
        if (!opened) {
            if (refusal.status == 503) {
                core_->log.warn_repeated("tarball changed", "web seed: " + opened.error().message);
            }
            HttpReply reply{refusal.status, text_content_type, refusal.reason + "\n", {}};
            if (refusal.status == 503) {
                reply.headers.emplace_back("Retry-After", "30");
            }
            respond(std::move(reply), version, keep_alive);
            return;
        }
        std::optional<std::string_view> range;
        if (auto it = req.find(http::field::range); it != req.end()) {
            range = std::string_view(it->value().data(), it->value().size());
        }
        bool if_range_matches = true;
        if (auto it = req.find(http::field::if_range); it != req.end()) {
            const std::string_view v(it->value().data(), it->value().size());
            if_range_matches = v == opened->etag || v == opened->last_modified;
        }
        const ByteRangeDecision d = decide_byte_range(range, opened->size, if_range_matches);
        if (d.answer == RangeAnswer::unsatisfiable) {
            respond({416,
                     text_content_type,
                     "range not satisfiable\n",
                     {{"Content-Range", content_range(d, opened->size)}}},
                    version, keep_alive);
            return;
        }
        auto& res = file_response_.emplace(
            d.answer == RangeAnswer::partial ? http::status::partial_content : http::status::ok,
            version);
        res.set(http::field::server, "si_btd");
        res.set(http::field::content_type, tarball_content_type);
        res.set(http::field::accept_ranges, "bytes");
        res.set(http::field::etag, opened->etag);
        res.set(http::field::last_modified, opened->last_modified);
        if (d.answer == RangeAnswer::partial) {
            res.set(http::field::content_range, content_range(d, opened->size));
        }
        res.content_length(d.length);
        res.keep_alive(keep_alive);
        res.body().data = nullptr;
        res.body().size = 0;
        res.body().more = !head && d.length > 0;
        file_ = std::move(opened->fd);
        file_offset_ = d.first;
        file_left_ = head ? 0 : d.length;
        file_serializer_.emplace(res);
        stream_.expires_after(io_timeout);
        http::async_write_header(
            stream_, *file_serializer_,
            beast::bind_front_handler(&Session::on_file_written, shared_from_this()));
    }

    // The next chunk is read on the reader thread; the session is handed back to the
    // io_context with the result (it never ends on the reader thread).
    void read_chunk() {
        if (!chunk_) {
            chunk_ = std::make_unique<char[]>(file_chunk_bytes);
        }
        const std::size_t want =
            static_cast<std::size_t>(std::min<std::uint64_t>(file_left_, file_chunk_bytes));
        net::post(*core_->reader, [self = shared_from_this(), fd = file_.get(), buf = chunk_.get(),
                                   want, offset = file_offset_]() mutable {
            std::size_t got = 0;
            int err = 0;
            while (got < want) {
                const ssize_t n =
                    ::pread(fd, buf + got, want - got, static_cast<off_t>(offset + got));
                if (n < 0 && errno == EINTR) {
                    continue;
                }
                if (n <= 0) {
                    err = n < 0 ? errno : EIO;  // 0: the file is shorter than pinned
                    break;
                }
                got += static_cast<std::size_t>(n);
            }
            Core& core = *self->core_;
            net::post(core.io, [self = std::move(self), got, err] { self->on_chunk(got, err); });
        });
    }

    void on_chunk(std::size_t got, int err) {
        if (core_->stopped) {
            return;
        }
        if (err != 0) {
            // The header is out: all that is left is to cut the body short, which the client
            // sees as a broken transfer.
            core_->log.warn_repeated(
                "tarball read", std::string("web seed: read a tarball: ") + std::strerror(err));
            close();
            return;
        }
        auto& body = file_response_->body();
        body.data = chunk_.get();
        body.size = got;
        file_left_ -= got;
        file_offset_ += got;
        body.more = file_left_ > 0;
        core_->file_bytes_sent += got;
        write_file_some();
    }

    void write_file_some() {
        stream_.expires_after(io_timeout);  // each write must move bytes within this
        http::async_write_some(
            stream_, *file_serializer_,
            beast::bind_front_handler(&Session::on_file_written, shared_from_this()));
    }

    void on_file_written(beast::error_code ec, std::size_t) {
        if (core_->stopped) {
            return;
        }
        if (ec == http::error::need_buffer) {
            read_chunk();  // the chunk is out; more to come
            return;
        }
        if (!ec && !file_header_sent_) {
            file_header_sent_ = true;
            if (file_left_ > 0) {
                read_chunk();  // the header is out: the first chunk (none for HEAD)
                return;
            }
        } else if (!ec && !file_serializer_->is_done()) {
            write_file_some();
            return;
        }
        const bool keep_alive = file_response_->keep_alive();
        file_serializer_.reset();
        file_response_.reset();
        file_.reset();
        chunk_.reset();
        file_header_sent_ = false;
        if (ec || !keep_alive) {
            close();
            return;
        }
        read();
    }

    beast::tcp_stream stream_;
    std::shared_ptr<Core> core_;
    net::ip::address remote_;
    net::ip::address local_;
    beast::flat_buffer buffer_{2 * max_header_bytes};
    std::optional<http::request_parser<http::empty_body>> parser_;
    std::optional<http::response<http::string_body>> response_;
    std::optional<http::response_serializer<http::string_body>> serializer_;  // of response_
    std::chrono::steady_clock::time_point write_give_up_{};
    const char* allow_ = "GET";  // the Allow header of a 405
    // A tarball being sent (serve_file): its response, serializer, file and chunk buffer.
    std::optional<http::response<http::buffer_body>> file_response_;
    std::optional<http::response_serializer<http::buffer_body>> file_serializer_;
    UniqueFd file_;
    std::uint64_t file_offset_ = 0;
    std::uint64_t file_left_ = 0;
    std::unique_ptr<char[]> chunk_;
    bool file_header_sent_ = false;
    bool waiting_ = false;
    std::chrono::steady_clock::time_point waiting_since_{};
};

// Closes every connection that has waited at least min_idle_to_close for a request (their
// sessions leave the set when their handlers have run).
void close_idle(Core& core) {
    const auto cutoff = std::chrono::steady_clock::now() - min_idle_to_close;
    std::vector<Session*> idle;
    for (Session* s : core.sessions) {
        if (s->idle() && s->idle_since() <= cutoff) {
            idle.push_back(s);
        }
    }
    for (Session* s : idle) {
        s->close();
    }
}

void accept_next(const std::shared_ptr<Core>& core);

// While paused at the limit: every room_check_period, idle connections are closed; accepting
// resumes as soon as a session has ended (see ~Session).
void schedule_room_check(const std::shared_ptr<Core>& core) {
    core->room_check.expires_after(room_check_period);
    core->room_check.async_wait([core](beast::error_code ec) {
        if (ec || core->stopped || !core->paused) {
            return;
        }
        close_idle(*core);
        schedule_room_check(core);
    });
}

void resume_accepting(const std::shared_ptr<Core>& core) {
    if (!core->paused || core->stopped || core->sessions.size() >= max_connections) {
        return;
    }
    core->paused = false;
    core->room_check.cancel();
    accept_next(core);
}

void on_accept(const std::shared_ptr<Core>& core, beast::error_code ec, tcp::socket socket) {
    if (core->stopped || ec == net::error::operation_aborted) {
        return;
    }
    if (ec) {
        core->log.error("tracker: accept: " + ec.message());
        core->accept_retry.expires_after(accept_retry_delay);
        core->accept_retry.async_wait([core](beast::error_code wec) {
            if (!wec && !core->stopped) {
                accept_next(core);
            }
        });
        return;
    }
    std::make_shared<Session>(std::move(socket), core)->start();
    if (core->sessions.size() < max_connections) {
        core->at_limit = false;
        accept_next(core);
        return;
    }
    // Full: the next connections wait in the listen backlog, in order, and are accepted as
    // sessions end; idle ones are closed to make room.
    if (!core->at_limit) {
        core->log.warn_repeated("connections open",
                                "tracker: " + std::to_string(max_connections) +
                                    " connections open; new ones wait until some close");
        core->at_limit = true;
    }
    core->paused = true;
    schedule_room_check(core);
}

void accept_next(const std::shared_ptr<Core>& core) {
    core->acceptor.async_accept(core->io, [core](beast::error_code ec, tcp::socket s) {
        on_accept(core, ec, std::move(s));
    });
}

}  // namespace

struct WebFront::Impl {
    std::shared_ptr<Core> core;

    Status save() {
        const std::string& path = core->settings.state_file;
        if (path.empty()) {
            return Ok{};
        }
        struct stat st {};
        if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
            return Error{"tracker: state " + path + " is not a regular file; not saved",
                         ErrorKind::io};
        }
        return write_file_atomic(path, core->store.save());
    }

    UniqueFd state_lock;  // held while this daemon owns BT_TRACKER_STATE

    // Takes <state>.lock (flock, never waiting): two daemons must never write one state.
    Status lock_state() {
        const std::string& path = core->settings.state_file;
        if (path.empty()) {
            return Ok{};
        }
        const std::string lock_path = path + ".lock";
        std::error_code ec;
        const auto parent = std::filesystem::path(path).parent_path();
        if (!parent.empty()) {
            std::filesystem::create_directories(parent, ec);
        }
        UniqueFd fd(::open(lock_path.c_str(),
                           O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                           state_file_mode));
        if (!fd) {
            return Error{"tracker: lock " + lock_path + ": " + std::strerror(errno),
                         ErrorKind::config};
        }
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK) {
                return Error{"tracker: BT_TRACKER_STATE " + path +
                                 " belongs to another running si_btd (" + lock_path + " is locked)",
                             ErrorKind::already_running};
            }
            return Error{"tracker: lock " + lock_path + ": " + std::strerror(errno),
                         ErrorKind::config};
        }
        state_lock = std::move(fd);
        return Ok{};
    }

    // Restores the state file when it is a regular file of sensible size. Opened without
    // blocking (a FIFO there must not stop the start-up) and checked with fstat.
    void load() {
        const std::string& path = core->settings.state_file;
        if (path.empty()) {
            return;
        }
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) {
            if (errno != ENOENT) {
                core->log.warn("tracker: cannot read state " + path + ": " + std::strerror(errno) +
                               "; starting with no peers");
            }
            return;
        }
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
            core->log.warn("tracker: state " + path +
                           " is not a regular file; starting with no peers, and it will not be "
                           "written");
            return;
        }
        if (st.st_size > max_state_bytes) {
            core->log.warn("tracker: state " + path + " is " + std::to_string(st.st_size) +
                           " bytes, over the " + std::to_string(max_state_bytes) +
                           "-byte limit; starting with no peers");
            return;
        }
        std::string text(static_cast<std::size_t>(st.st_size), '\0');
        std::size_t got = 0;
        while (got < text.size()) {
            const auto n = ::read(fd.get(), text.data() + got, text.size() - got);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                break;
            }
            got += static_cast<std::size_t>(n);
        }
        text.resize(got);
        if (auto st2 = core->store.load(text); !st2) {
            core->log.warn("tracker: ignoring state " + path + ": " + st2.error().message +
                           "; starting with no peers");
            return;
        }
        // Its peers join their swarms when the torrents are served (set_torrents).
        core->log.info("tracker: restored the state saved in " + path);
    }

    void schedule_maintenance() {
        core->maintenance.expires_after(maintenance_period);
        core->maintenance.async_wait([this, c = core](beast::error_code ec) {
            if (ec || c->stopped) {
                return;  // `this` may be gone: only touch it while running
            }
            std::size_t dropped = c->store.sweep();
            if (dropped > 0) {
                c->log.info("tracker: dropped " + std::to_string(dropped) + " silent peers");
            }
            if (auto st = save(); !st) {
                c->log.error(st.error().message);
            }
            schedule_maintenance();
        });
    }
};

WebFront::WebFront(boost::asio::io_context& io, TrackerSettings settings, Logger& log)
    : impl_(std::make_unique<Impl>()) {
    impl_->core = std::make_shared<Core>(io, std::move(settings), log);
}

WebFront::~WebFront() {
    Core& c = *impl_->core;
    if (c.started && !c.stopped) {
        stop();
    }
}

Status WebFront::start() {
    Core& c = *impl_->core;
    // First the state's lock, then the port, then the state: a start that fails leaves the
    // state of another daemon (or its own, when it has not read it) as it was.
    if (auto st = impl_->lock_state(); !st) {
        return st;
    }

    std::string address = c.settings.address.empty() ? "0.0.0.0" : c.settings.address;
    std::string where = host_port(address, c.settings.port);
    if (auto st = listen_on(c.acceptor, address, c.settings.port, "tracker"); !st) {
        return st;
    }
    impl_->load();
    c.save_state = [impl = impl_.get()] { return impl->save(); };
    c.reader = std::make_unique<net::thread_pool>(1);
    c.started = true;
    c.log.info("tracker: listening on http://" + where + "/announce");
    accept_next(impl_->core);
    impl_->schedule_maintenance();
    return Ok{};
}

void WebFront::on_new_leecher(TrackerService::NewLeecherHook hook) {
    impl_->core->service.on_new_leecher(std::move(hook));
}

void WebFront::set_torrents(std::vector<ServedTorrent> torrents) {
    impl_->core->service.set_torrents(torrents);
}

void WebFront::serve_commands(CommandHandler commands) {
    impl_->core->commands = std::move(commands);
}

void WebFront::serve_files(const std::vector<PublishedFile>& files) {
    if (impl_->core->settings.serve_tarballs) {
        impl_->core->files.publish(files);
    }
}

std::uint64_t WebFront::file_bytes_sent() const {
    return impl_->core->file_bytes_sent;
}

void WebFront::serve_pages(TrackerService::PageHandler pages) {
    impl_->core->service.serve_pages(std::move(pages));
}

std::optional<SwarmSnapshot> WebFront::swarm(const std::string& info_hash_hex) const {
    auto raw = from_hex(info_hash_hex);
    if (!raw) {
        return std::nullopt;
    }
    const PeerStore& store = impl_->core->store;
    auto counts = store.counts(*raw);
    if (!counts) {
        return std::nullopt;
    }
    return SwarmSnapshot{*counts, store.peers(*raw), store.downloaded_bytes(*raw),
                         store.uploaded_bytes(*raw)};
}

std::uint64_t WebFront::announces() const {
    return impl_->core->service.announces();
}

Status WebFront::save_state() {
    return impl_->save();
}

void WebFront::stop() {
    Core& c = *impl_->core;
    if (c.stopped) {
        return;
    }
    c.stopped = true;
    beast::error_code ignored;
    c.acceptor.close(ignored);
    c.maintenance.cancel();
    c.accept_retry.cancel();
    c.room_check.cancel();
    c.state_save.cancel();
    std::vector<Session*> open(c.sessions.begin(), c.sessions.end());
    for (Session* s : open) {
        s->close();
    }
    if (c.reader) {
        c.reader->join();  // a chunk being read finishes; what it posts back finds `stopped`
    }
    if (c.file_bytes_sent > 0) {
        c.log.info("web seed: " + std::to_string(c.file_bytes_sent) + " bytes of tarballs sent");
    }
    if (c.started) {
        if (auto st = impl_->save(); !st) {
            c.log.error(st.error().message);
            c.log.info("tracker: stopped; " + std::to_string(c.store.peer_count()) +
                       " peers not saved");
        } else {
            c.log.info("tracker: stopped; " + std::to_string(c.store.peer_count()) +
                       " peers saved");
        }
    }
    impl_->state_lock.reset();  // the state is another start's to take now
}

std::size_t WebFront::peer_count() const {
    return impl_->core->store.peer_count();
}

}  // namespace si
