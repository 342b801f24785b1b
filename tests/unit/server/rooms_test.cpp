// The include rule of si_btd's rooms (src/server/CMakeLists.txt): a file of a room includes
// src/common and rooms listed before its own, never a later room or the daemon's folder, so
// that the rooms have no arrow up and no circle. The agent and src/common include no server
// file. Reads the source tree (SI_SOURCE_DIR).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace si {
namespace {

namespace fs = std::filesystem;

// Lowest first, as in src/server/CMakeLists.txt.
const std::vector<std::string> rooms = {"config", "web", "pack", "tracker", "seed", "view", "boot"};

std::vector<std::string> includes_of(const fs::path& file) {
    static const std::regex include(R"re(^#include "([^"]+)")re");
    std::vector<std::string> out;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (std::regex_search(line, m, include)) {
            out.push_back(m[1]);
        }
    }
    return out;
}

std::vector<fs::path> sources_under(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        const auto ext = e.path().extension();
        if (e.is_regular_file() && (ext == ".cpp" || ext == ".hpp")) {
            out.push_back(e.path());
        }
    }
    return out;
}

// The index of the room `include` names ("server/pack/packer.hpp" -> 2); -1 for the
// daemon's folder ("server/daemon.hpp"); rooms.size() for anything not under server/.
long room_index(const std::string& include) {
    if (include.rfind("server/", 0) != 0) {
        return static_cast<long>(rooms.size());
    }
    const std::string rest = include.substr(7);
    const auto slash = rest.find('/');
    if (slash == std::string::npos) {
        return -1;
    }
    const auto it = std::find(rooms.begin(), rooms.end(), rest.substr(0, slash));
    return it == rooms.end() ? -1 : it - rooms.begin();
}

const fs::path source = SI_SOURCE_DIR;

TEST(Rooms, EachRoomIncludesOnlyRoomsBeforeItAndCommon) {
    std::size_t checked = 0;
    for (std::size_t r = 0; r < rooms.size(); ++r) {
        const fs::path dir = source / "src/server" / rooms[r];
        ASSERT_TRUE(fs::is_directory(dir)) << dir;
        for (const fs::path& f : sources_under(dir)) {
            ++checked;
            for (const std::string& inc : includes_of(f)) {
                if (inc.rfind("agent/", 0) == 0) {
                    ADD_FAILURE() << f << " includes the agent's " << inc;
                    continue;
                }
                if (inc.rfind("server/", 0) != 0) {
                    continue;  // src/common, or a library's own header
                }
                const long to = room_index(inc);
                EXPECT_TRUE(to >= 0 && to <= static_cast<long>(r))
                    << f.lexically_relative(source) << " (room " << rooms[r] << ") includes " << inc
                    << (to < 0 ? ", in the daemon's folder" : ", a later room");
            }
        }
    }
    EXPECT_GT(checked, 50u) << "the rooms hold the server's files";
}

TEST(Rooms, NoServerFileIsLeftOutsideARoomButTheDaemonsOwn) {
    // The daemon's folder holds what wires the rooms; a pure part belongs in a room.
    const std::vector<std::string> daemon_files = {
        "config_check",      "daemon",           "exit_codes",
        "image_catalog",     "node_view",        "pidfile",
        "reload_plan",       "sd_notify",        "signing",
        "web_front",         "si_btd_main",      "si_btkey_main",
        "si_btreimage_main", "si_btstatus_main", "si_installbtimage_main"};
    for (const auto& e : fs::directory_iterator(source / "src/server")) {
        const auto ext = e.path().extension();
        if (!e.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) {
            continue;
        }
        const std::string stem = e.path().stem().string();
        EXPECT_NE(std::find(daemon_files.begin(), daemon_files.end(), stem), daemon_files.end())
            << e.path().filename() << " is in src/server itself: put it in a room";
    }
}

TEST(Rooms, CommonAndTheAgentIncludeNoServerFile) {
    for (const char* side : {"src/common", "src/agent"}) {
        for (const fs::path& f : sources_under(source / side)) {
            for (const std::string& inc : includes_of(f)) {
                EXPECT_NE(inc.rfind("server/", 0), 0u)
                    << f.lexically_relative(source) << " includes " << inc;
            }
        }
    }
}

}  // namespace
}  // namespace si
