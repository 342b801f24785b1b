#include "common/log.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

// keep_tail: the last N records, oldest first, with their level; none kept by default.
TEST(LoggerTail, KeepsTheLastRecordsWithTheirLevel) {
    Logger log;
    log.set_stderr(false);
    log.info("not kept: no tail asked for");
    EXPECT_TRUE(log.tail().empty());
    log.keep_tail(3);
    log.info("one");
    log.warn("two");
    log.error("three");
    log.info("four");
    EXPECT_EQ(log.tail(), (std::vector<std::string>{"warning: two", "error: three", "four"}));
    log.keep_tail(1);
    EXPECT_EQ(log.tail(), (std::vector<std::string>{"four"}));
}

}  // namespace
}  // namespace si
