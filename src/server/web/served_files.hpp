#pragma once
// The files si_btd's web front serves as they are, byte ranges and all: the tarballs of the
// served torrents under /tarballs/<file name>, so si_btd itself is a BEP 19 web seed
// (BT_WEB_SEEDS=self). Only what publish() named is ever opened.
//
// Each file is pinned (size and mtime) when its version is first published: a tarball that a
// repack has replaced under the same name while the old .torrent is still served no longer
// matches, and is refused (503) until the new version is published, so a web seed never
// hands out bytes of another version than the .torrent describes. The client checks every
// piece's hash anyway; this keeps it from wasting a download.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace si {

struct PublishedFile {
    std::string name;     // the URL's last segment: "image-suse10.tar.gz"
    std::string path;     // where it is read from
    std::string version;  // what identifies its bytes (the torrent's info-hash, hex)
};

// One file opened for a request.
struct OpenedFile {
    UniqueFd fd;
    std::uint64_t size = 0;
    std::string etag;           // "\"<version>\"": a strong validator (RFC 9110 8.8.3)
    std::string last_modified;  // an HTTP-date (RFC 9110 5.6.7)
};

// Why a file is not served: the HTTP status and a short text.
struct FileRefusal {
    unsigned status = 404;
    std::string reason = "no such tarball";
};

class ServedFiles {
  public:
    // Replaces the set. A file whose name and version were already published keeps its pin;
    // any other is pinned now (lstat; one missing now is pinned as missing and refused).
    void publish(const std::vector<PublishedFile>& files);

    // Opens `name` (already percent-decoded) for reading. Refused with 404 when it was not
    // published (or is not a plain file name), 503 when it is missing or changed since it was
    // pinned ("changed since it was published; being repacked").
    Result<OpenedFile> open(const std::string& name, FileRefusal& refusal) const;

    std::size_t size() const { return files_.size(); }

  private:
    struct Pin {
        std::string path;
        std::string version;
        bool exists = false;
        std::uint64_t size = 0;
        std::int64_t mtime_ns = 0;
    };
    std::map<std::string, Pin> files_;
};

// "Sun, 06 Nov 1994 08:49:37 GMT" for a time in seconds since the epoch.
std::string http_date(std::int64_t unix_seconds);

}  // namespace si
