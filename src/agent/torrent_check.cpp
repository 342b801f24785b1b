#include "torrent_check.hpp"

namespace si {

Result<std::shared_ptr<const lt::torrent_info>> check_torrent(std::string_view bytes,
                                                              const std::string& file_name,
                                                              const std::string& tarball) {
    if (bytes.size() > max_torrent_bytes) {
        return Error{file_name + ": not a valid torrent: " + std::to_string(bytes.size()) +
                         " bytes, over the " + std::to_string(max_torrent_bytes >> 20) +
                         " MiB a .torrent of si_btd's may be",
                     ErrorKind::bad_data};
    }
    lt::error_code ec;
    auto info =
        std::make_shared<lt::torrent_info>(bytes.data(), static_cast<int>(bytes.size()), ec);
    if (ec) {
        return Error{file_name + ": not a valid torrent: " + ec.message(), ErrorKind::bad_data};
    }
    if (info->num_files() != 1 || info->files().file_path(lt::file_index_t{0}) != tarball) {
        return Error{file_name + ": not a valid torrent: expected the single file " + tarball,
                     ErrorKind::bad_data};
    }
    return std::shared_ptr<const lt::torrent_info>(std::move(info));
}

}  // namespace si
