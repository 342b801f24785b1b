#include "common/repeat_limit.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/log.hpp"

namespace si {
namespace {

using namespace std::chrono_literals;
using TimePoint = RepeatLimiter::TimePoint;

TEST(RepeatLimiter, TheFirstLineOfAKindIsWrittenTheRestCountedThenTold) {
    RepeatLimiter limit(60s);
    const TimePoint t0{1000s};
    EXPECT_EQ(limit.admit("refused", "refused 10.0.0.1", t0), "refused 10.0.0.1");
    for (int i = 0; i < 1467; ++i) {
        EXPECT_FALSE(limit.admit("refused", "refused 10.0.0.2", t0 + 10s));
    }
    // Another kind is not held back by the first.
    EXPECT_EQ(limit.admit("open", "512 connections open", t0 + 10s), "512 connections open");
    EXPECT_EQ(limit.admit("refused", "refused 10.0.0.3", t0 + 60s),
              "refused 10.0.0.3 (and 1467 more like it in the last 60 s)");
    // A new window: a line within it is counted again.
    EXPECT_FALSE(limit.admit("refused", "refused 10.0.0.4", t0 + 61s));
}

TEST(RepeatLimiter, ABurstThatStopsIsToldByFlush) {
    RepeatLimiter limit(60s);
    const TimePoint t0{1000s};
    limit.admit("open", "512 connections open", t0);
    limit.admit("open", "512 connections open", t0 + 1s);
    limit.admit("open", "512 connections open", t0 + 2s);
    EXPECT_TRUE(limit.flush(t0 + 59s).empty());  // its window is not over
    auto told = limit.flush(t0 + 60s);
    ASSERT_EQ(told.size(), 1u);
    EXPECT_EQ(told[0].kind, "open");
    EXPECT_EQ(told[0].line, "512 connections open (and 1 more like it in the last 60 s)");
    EXPECT_TRUE(limit.flush(t0 + 200s).empty());                  // told once
    EXPECT_EQ(limit.admit("open", "again", t0 + 201s), "again");  // a new window
    EXPECT_FALSE(limit.admit("open", "once more", t0 + 202s));
    auto at_exit = limit.flush(t0 + 203s, true);  // its window is not over, but we exit
    ASSERT_EQ(at_exit.size(), 1u);
    EXPECT_EQ(at_exit[0].line, "once more");
}

TEST(Logger, RepeatedLinesCollapseWithACount) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("si_repeat_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto path = dir / "log";
    {
        Logger log;
        ASSERT_TRUE(log.open_file(path.string()).ok());
        log.set_stderr(false);
        for (int i = 0; i < 1000; ++i) {
            log.warn_repeated("refused announce", "tracker: refused " + std::to_string(i));
        }
        log.info("a line of another kind");
    }  // the destructor tells what was counted
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    std::filesystem::remove_all(dir);
    EXPECT_NE(text.find("warning: tracker: refused 0\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("tracker: refused 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("warning: tracker: refused 999 (and 998 more like it in the last"),
              std::string::npos)
        << text;
    int lines = 0;
    for (char c : text) {
        lines += c == '\n' ? 1 : 0;
    }
    EXPECT_EQ(lines, 3);
}

}  // namespace
}  // namespace si
