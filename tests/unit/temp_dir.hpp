#pragma once
// The unit tests' temporary directory: made under $TMPDIR at construction, removed with
// everything in it on every path out of the test.
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace si::test {

class TempDir {
  public:
    TempDir() {
        std::string templ = (std::filesystem::temp_directory_path() / "si_test.XXXXXX").string();
        if (::mkdtemp(templ.data()) != nullptr) {
            path_ = templ;
        }
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        if (!path_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(path_, ec);
        }
    }
    // "" when the directory could not be made.
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

  private:
    std::string path_;
};

}  // namespace si::test
