#pragma once
// User and group names as the IMAGE knows them: read from the image's own etc/passwd and
// etc/group, never from the server's, so the names stored in a tarball are the same on any
// server. Without those files (or when they are not plain files) names are left out and only
// the numeric ids are stored.
#include <sys/types.h>

#include <map>
#include <string>
#include <string_view>

namespace si {

class OwnerNames {
  public:
    OwnerNames() = default;

    // Reads <image_root>/etc/passwd and <image_root>/etc/group. Never fails: a missing or
    // unreadable file gives numeric ids only. Symlinks are not followed (they could point out of
    // the image, at the server's own files).
    static OwnerNames from_image(const std::string& image_root);

    // Parses passwd / group text ("name:x:id:..." lines); the first line for an id wins, as
    // getpwuid does.
    static OwnerNames from_text(std::string_view passwd, std::string_view group);

    // The name, or nullptr when the image does not name this id.
    const std::string* user(uid_t uid) const;
    const std::string* group(gid_t gid) const;

  private:
    std::map<uid_t, std::string> users_;
    std::map<gid_t, std::string> groups_;
};

}  // namespace si
