#include "common/known_contents.hpp"

namespace si {
namespace {

bool same_time(const timespec& a, const timespec& b) {
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

}  // namespace

void KnownContents::remember(const struct stat& st, std::string sha256_hex) {
    if (!S_ISREG(st.st_mode)) {
        return;
    }
    known_[{st.st_dev, st.st_ino}] =
        Known{st.st_size, st.st_mtim, st.st_ctim, std::move(sha256_hex)};
}

void KnownContents::relinked(const struct stat& before, const struct stat& after) {
    if (find(before) == nullptr || before.st_dev != after.st_dev || before.st_ino != after.st_ino ||
        before.st_size != after.st_size || !same_time(before.st_mtim, after.st_mtim)) {
        return;
    }
    known_[{after.st_dev, after.st_ino}].ctime = after.st_ctim;
}

const std::string* KnownContents::find(const struct stat& st) const {
    const auto it = known_.find({st.st_dev, st.st_ino});
    if (it == known_.end() || !S_ISREG(st.st_mode) || it->second.size != st.st_size ||
        !same_time(it->second.mtime, st.st_mtim) || !same_time(it->second.ctime, st.st_ctim)) {
        return nullptr;
    }
    return &it->second.sha256_hex;
}

}  // namespace si
