// Authenticated monitor report lines (common/monitor_auth.hpp).
#include "common/monitor_auth.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

const std::string key(32, '\x42');
const std::string line = "mac=52.54.00.12.34.56:ip=10.0.0.5:status=100:pieces=4/4:archive=end";

TEST(MonitorAuth, ASealedLineVerifies) {
    const std::string sealed = seal_report_line(line, key);
    EXPECT_EQ(sealed.rfind(line + ":hmac=", 0), 0u);
    EXPECT_EQ(sealed.size(), line.size() + 6 + 64);
    EXPECT_EQ(check_report_line(sealed, key), ReportAuth::ok);
    EXPECT_EQ(check_report_line(sealed + "\r\n", key), ReportAuth::ok);
}

TEST(MonitorAuth, ForgedAlteredOrUnsealedLinesAreNotOk) {
    const std::string sealed = seal_report_line(line, key);
    EXPECT_EQ(check_report_line(line, key), ReportAuth::missing);
    std::string altered = sealed;
    altered.replace(altered.find("status=100"), 10, "status=-14");
    EXPECT_EQ(check_report_line(altered, key), ReportAuth::bad);
    EXPECT_EQ(check_report_line(seal_report_line(line, std::string(32, 'x')), key),
              ReportAuth::bad);
    EXPECT_EQ(check_report_line(line + ":hmac=00", key), ReportAuth::bad);
    EXPECT_EQ(check_report_line(sealed, ""), ReportAuth::unchecked);
}

TEST(MonitorAuth, Words) {
    EXPECT_EQ(report_auth_word(ReportAuth::unchecked), "");
    EXPECT_EQ(report_auth_word(ReportAuth::ok), "ok");
    EXPECT_EQ(report_auth_word(ReportAuth::missing), "none");
    EXPECT_EQ(report_auth_word(ReportAuth::bad), "bad");
}

TEST(MonitorAuth, KeyFile) {
    auto text = make_monitor_key_text();
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(text->size(), 65u);
    auto k = parse_monitor_key(*text, "monitor.key");
    ASSERT_TRUE(k.ok()) << k.error().message;
    EXPECT_EQ(k->size(), 32u);
    for (const char* bad :
         {"", "abc\n", "zz00000000000000000000000000000000000000000000000000000000000000\n"}) {
        auto r = parse_monitor_key(bad, "monitor.key");
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().kind, ErrorKind::config);
    }
}

}  // namespace
}  // namespace si
