#include "server/view/monitor_report.hpp"

#include <gtest/gtest.h>

namespace si {
namespace {

// What a SystemImager 4.x client sends (its MAC with '.' for ':').
const std::string si4_line =
    "mac=00.16.3E.aa.bb.0c:ip=10.0.0.21:host=node21:cpu=Intel(R) Xeon(R) CPU E5-2670 0 @ "
    "2.60GHz:ncpus=16:kernel=2.6.32-5-amd64:mem=66000000:os=rhel5:tmpfs=12:time=130:status=42:"
    "speed=11800";

TEST(MonitorReport, ReadsEveryFieldOfTheOriginalProtocol) {
    auto r = parse_monitor_report(si4_line + ":log=installing\n");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->mac, "00:16:3e:aa:bb:0c");
    EXPECT_EQ(r->ip, "10.0.0.21");
    EXPECT_EQ(r->host, "node21");
    EXPECT_EQ(r->cpu, "Intel(R) Xeon(R) CPU E5-2670 0 @ 2.60GHz");
    EXPECT_EQ(r->ncpus, 16);
    EXPECT_EQ(r->kernel, "2.6.32-5-amd64");
    EXPECT_EQ(r->mem_kb, 66000000);
    EXPECT_EQ(r->os, "rhel5");
    EXPECT_EQ(r->tmpfs_percent, 12);
    EXPECT_EQ(r->uptime_s, 130);
    EXPECT_EQ(r->status, 42);
    EXPECT_EQ(r->speed_kbs, 11800);
    EXPECT_EQ(r->log, "installing");
    EXPECT_EQ(r->unknown_keys, 0);
    EXPECT_FALSE(r->pieces_total);
}

TEST(MonitorReport, ReadsTheAgentsOwnKeys) {
    auto r = parse_monitor_report(
        "mac=52:54:00:12:34:56:status=100:speed=0:phase=done:up=512:peers=7:pieces=304/304:"
        "archive=end:overrides=1/1:entries=2411:bytes=167772160");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->mac, "52:54:00:12:34:56");
    EXPECT_EQ(r->phase, "done");
    EXPECT_EQ(r->up_kbs, 512);
    EXPECT_EQ(r->peers, 7);
    EXPECT_EQ(r->pieces_verified, 304);
    EXPECT_EQ(r->pieces_total, 304);
    EXPECT_TRUE(r->archive_end);
    EXPECT_EQ(r->overrides_applied, 1);
    EXPECT_EQ(r->overrides_fetched, 1);
    EXPECT_EQ(r->entries, 2411);
    EXPECT_EQ(r->bytes, 167772160);
    EXPECT_EQ(r->install, "");
}

TEST(MonitorReport, SaysWhetherTheDiskAlreadyHeldTheImage) {
    auto held = parse_monitor_report("mac=52:54:00:12:34:56:status=100:install=held");
    ASSERT_TRUE(held);
    EXPECT_EQ(held->install, "held");
    auto again = parse_monitor_report(format_monitor_report(*held));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->install, "held");
    auto bad = parse_monitor_report("mac=52:54:00:12:34:56:install=maybe");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("install='maybe' is not full or held"), std::string::npos)
        << bad.error().message;
}

TEST(MonitorReport, NegativeStatusIsAnError) {
    auto r = parse_monitor_report("mac=00.00.00.00.00.01:status=-8:error=stalled for 300 s");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, -8);
    EXPECT_EQ(r->error, "stalled for 300 s");
}

TEST(MonitorReport, UnknownKeysAndBareWordsAreSkippedAndCounted) {
    auto r = parse_monitor_report("mac=00.00.00.00.00.01:colour=blue:hello:status=5:zz=1");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->unknown_keys, 2);
    EXPECT_EQ(r->status, 5);
}

TEST(MonitorReport, EmptyNumbersAreAsIfNotSentAndRatesMayHaveFractions) {
    auto r = parse_monitor_report("mac=00.00.00.00.00.01:speed=:status=7:tmpfs=45%");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->speed_kbs);
    EXPECT_EQ(r->tmpfs_percent, 45);
    auto f = parse_monitor_report("mac=00.00.00.00.00.01:speed=1234.56");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->speed_kbs, 1234);
}

TEST(MonitorReport, RepeatedKeyKeepsTheLast) {
    auto r = parse_monitor_report("mac=00.00.00.00.00.01:status=5:status=6");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 6);
}

TEST(MonitorReport, RefusesGarbage) {
    struct Case {
        std::string line;
        std::string says;
    };
    const Case cases[] = {
        {"", "no mac= field"},
        {"hello world", "no mac= field"},
        {"GET / HTTP/1.1\r\n", "no mac= field"},
        {"ip=1.2.3.4:status=5", "no mac= field"},
        {"mac=00.16.3e:status=5", "mac='00.16.3e' is not a MAC address"},
        {"mac=zz.16.3e.aa.bb.cc", "is not a MAC address"},
        {"mac=52:54:00:12:34:56:overrides=1/11677472160", "counts more than 10000 overrides"},
        {"mac=00.16.3e.aa.bb.cc:status=abc", "status='abc' is not a whole number in -999..105"},
        {"mac=00.16.3e.aa.bb.cc:status=106", "status='106'"},
        {"mac=00.16.3e.aa.bb.cc:status=-1000", "status='-1000'"},
        {"mac=00.16.3e.aa.bb.cc:speed=-5", "speed='-5'"},
        {"mac=00.16.3e.aa.bb.cc:speed=99999999999999999999999", "speed="},
        {"mac=00.16.3e.aa.bb.cc:tmpfs=101", "tmpfs='101'"},
        {"mac=00.16.3e.aa.bb.cc:pieces=5/3", "pieces='5/3' is not <done>/<total>"},
        {"mac=00.16.3e.aa.bb.cc:pieces=5", "pieces='5'"},
        {"mac=00.16.3e.aa.bb.cc:overrides=a/b", "overrides='a/b'"},
        {std::string("mac=00.16.3e.aa.bb.cc:host=a\x01") + "b", "control byte '\\x01' at byte 29"},
        {std::string("mac=00.16.3e.aa.bb.cc:host=a\0b", 30), "control byte '\\x00'"},
        {"mac=00.16.3e.aa.bb.cc\nstatus=5", "control byte '\\x0a'"},
    };
    for (const Case& c : cases) {
        auto r = parse_monitor_report(c.line);
        ASSERT_FALSE(r) << c.line;
        EXPECT_NE(r.error().message.find(c.says), std::string::npos)
            << c.line << " -> " << r.error().message;
        EXPECT_EQ(r.error().message.rfind("monitor report: ", 0), 0u);
    }
}

TEST(MonitorReport, OversizeLinesAndValues) {
    std::string big = "mac=00.16.3e.aa.bb.cc:host=" + std::string(max_report_bytes, 'x');
    auto r = parse_monitor_report(big);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("over the 4096-byte limit"), std::string::npos);
    auto cut = parse_monitor_report("mac=00.16.3e.aa.bb.cc:host=" + std::string(1000, 'h'));
    ASSERT_TRUE(cut);
    EXPECT_EQ(cut->host.size(), max_report_value_bytes);
    // The console (log=) keeps more: a node's last log lines.
    auto console = parse_monitor_report("mac=00.16.3e.aa.bb.cc:log=" + std::string(3000, 'l'));
    ASSERT_TRUE(console);
    EXPECT_EQ(console->log.size(), max_report_log_bytes);
}

TEST(MonitorReport, FormatThenParseGivesTheSameReport) {
    auto r = parse_monitor_report(si4_line +
                                  ":phase=done:up=3:peers=2:pieces=9/9:archive=end:"
                                  "overrides=0/0:entries=4:bytes=5:error=x:log=y");
    ASSERT_TRUE(r);
    auto again = parse_monitor_report(format_monitor_report(*r));
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(format_monitor_report(*again), format_monitor_report(*r));
    EXPECT_EQ(again->cpu, r->cpu);
    EXPECT_EQ(again->overrides_fetched, 0);
    EXPECT_TRUE(again->archive_end);
    EXPECT_EQ(protocol_mac(r->mac), "00.16.3e.aa.bb.0c");
}

// However TCP splits the line, the reader puts together the same line.
TEST(ReportLineReader, EveryChunkSizeGivesTheSameLine) {
    const std::string wire = si4_line + "\nignored after the newline";
    for (std::size_t chunk = 1; chunk <= wire.size(); ++chunk) {
        ReportLineReader reader;
        ReportLineReader::State st = ReportLineReader::State::need_more;
        for (std::size_t at = 0; at < wire.size(); at += chunk) {
            st = reader.feed(std::string_view(wire).substr(at, chunk));
        }
        ASSERT_EQ(st, ReportLineReader::State::complete) << "chunk " << chunk;
        ASSERT_EQ(reader.line(), si4_line) << "chunk " << chunk;
    }
}

TEST(ReportLineReader, LineWithoutNewlineEndsAtClose) {
    ReportLineReader reader;
    EXPECT_EQ(reader.feed("mac=00.00.00.00.00.01"), ReportLineReader::State::need_more);
    EXPECT_EQ(reader.finish(), ReportLineReader::State::complete);
    EXPECT_EQ(reader.line(), "mac=00.00.00.00.00.01");
    ReportLineReader empty;
    EXPECT_EQ(empty.finish(), ReportLineReader::State::need_more);
}

TEST(ReportLineReader, EndlessLineIsTooLongWhateverTheChunks) {
    for (std::size_t chunk : {1u, 7u, 512u, 5000u}) {
        ReportLineReader reader;
        ReportLineReader::State st = ReportLineReader::State::need_more;
        std::size_t sent = 0;
        while (st == ReportLineReader::State::need_more && sent < 100000) {
            st = reader.feed(std::string(chunk, 'a'));
            sent += chunk;
        }
        EXPECT_EQ(st, ReportLineReader::State::too_long) << chunk;
        EXPECT_LE(sent, max_report_bytes + 1 + chunk);
    }
}

// Raw bytes that are not UTF-8 in every text field: a Latin-1 host name, an error line that
// names a Latin-1 file, and worse. Each ill-formed sequence is shown as U+FFFD, the report is
// taken, and the fields are named for the one log line (issue 29).
TEST(MonitorReport, BytesThatAreNotUtf8AreReplacedInEveryTextField) {
    const std::string fffd = "\xef\xbf\xbd";
    const char* keys[] = {"ip", "host", "cpu", "kernel", "os", "log", "phase", "error"};
    std::string line = "mac=00.16.3e.aa.bb.0c:status=-8";
    for (const char* k : keys) {
        line += std::string(":") + k + "=caf\xe9\xff\xc3";
    }
    auto r = parse_monitor_report(line);
    ASSERT_TRUE(r) << r.error().message;
    for (const std::string* v :
         {&r->ip, &r->host, &r->cpu, &r->kernel, &r->os, &r->log, &r->phase, &r->error}) {
        EXPECT_EQ(*v, "caf" + fffd + fffd + fffd);
    }
    EXPECT_EQ(r->not_utf8, "ip host cpu kernel os log phase error");
    // What is saved parses back to the same, now clean, text.
    auto again = parse_monitor_report(format_monitor_report(*r));
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->host, r->host);
    EXPECT_EQ(again->not_utf8, "");

    auto ok = parse_monitor_report("mac=00.16.3e.aa.bb.0c:host=caf\xc3\xa9");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->host, "caf\xc3\xa9");  // UTF-8 stays as it is
    EXPECT_EQ(ok->not_utf8, "");
}

TEST(MonitorReport, ALongValueIsCutBetweenCharacters) {
    // 255 ASCII bytes then an 'é' (2 bytes): the limit of 256 falls inside it.
    auto r = parse_monitor_report("mac=00.16.3e.aa.bb.0c:host=" + std::string(255, 'h') +
                                  "\xc3\xa9" + "tail");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->host, std::string(255, 'h'));
    EXPECT_EQ(r->not_utf8, "");
}

TEST(MonitorReport, ErrorsQuoteBadBytesAsValidText) {
    auto r = parse_monitor_report("mac=00.16.3e.aa.bb.0c:status=4\xe9");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("status='4\xef\xbf\xbd'"), std::string::npos)
        << r.error().message;
}

}  // namespace
}  // namespace si
