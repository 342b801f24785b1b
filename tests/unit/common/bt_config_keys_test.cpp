#include "common/bt_config_keys.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "common/file_io.hpp"

namespace si {
namespace {

const std::string required =
    "BT_TRACKER_PORT=6969\nBT_TRACKER_STATE=/tmp/dstate\n"
    "BT_TRACKER_LOG=/var/log/systemimager/bittorrent-tracker.log\n";

Result<BtConfig> parse(const std::string& text) {
    auto conf = parse_shell_conf(text, "bittorrent.conf");
    EXPECT_TRUE(conf);
    return bt_config_from(*conf);
}

// The field of `key` in `bt`, as text, to compare two configurations key by key.
std::string field_text(const BtConfig& bt, const BtConfigKey& key) {
    return std::visit(
        [&](auto member) {
            const auto& v = bt.*member;
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, std::string>) {
                return v;
            } else if constexpr (std::is_same_v<V, std::vector<ServerAddress>>) {
                return format_server_list(v);
            } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
                std::string out;
                for (const auto& s : v) {
                    out += s + ",";
                }
                return out;
            } else {
                return std::to_string(static_cast<long long>(v));
            }
        },
        key.field);
}

// A value each key accepts that differs from its default.
std::string other_value(const BtConfigKey& key) {
    switch (key.type) {
        case ConfType::port:
            return "7001";
        case ConfType::file:
        case ConfType::text:
            return "/elsewhere/file";
        case ConfType::interface:
            return "127.0.0.2";
        case ConfType::yes_no:
            return key.default_value == "y" ? "n" : "y";
        case ConfType::compress:
            return "n";  // the base below is zstd
        case ConfType::names:
            return "other";
        case ConfType::seconds:
        case ConfType::mib_per_s:
            return std::to_string(key.max);
        case ConfType::key_file:
            return "/elsewhere/x.key";
        case ConfType::servers:
            return "10.0.0.9,10.0.0.8:7000";
        case ConfType::web_seeds:
            return "self";
    }
    return "";
}

TEST(BtConfigKeys, NamesAreUniqueAndFound) {
    std::set<std::string_view> seen;
    for (const BtConfigKey& k : bt_config_keys()) {
        EXPECT_TRUE(seen.insert(k.name).second) << k.name;
        EXPECT_EQ(find_bt_config_key(k.name), &k);
        EXPECT_FALSE(k.help.empty()) << k.name;
    }
    EXPECT_EQ(find_bt_config_key("BT_NOPE"), nullptr);
}

// The table's default is BtConfig's: writing it changes nothing.
TEST(BtConfigKeys, DefaultsAreBtConfigs) {
    auto plain = parse(required);
    ASSERT_TRUE(plain) << plain.error().message;
    for (const BtConfigKey& k : bt_config_keys()) {
        if (k.default_value.empty() && k.type != ConfType::text && k.type != ConfType::names) {
            continue;  // derived from another key (BT_MONITOR_STATE)
        }
        auto with =
            parse(required + std::string(k.name) + "=" + std::string(k.default_value) + "\n");
        ASSERT_TRUE(with) << k.name << ": " << with.error().message;
        EXPECT_EQ(field_text(*with, k), field_text(*plain, k)) << k.name;
        EXPECT_EQ(field_text(BtConfig{}, k), field_text(*plain, k)) << k.name;
    }
}

// Each row's type and field agree: a value it accepts lands in its field.
TEST(BtConfigKeys, EachKeyLandsInItsField) {
    // zstd, so that BT_DELTA=y is valid
    const std::string base = required + "BT_COMPRESS=zstd\n";
    auto plain = parse(base);
    ASSERT_TRUE(plain);
    for (const BtConfigKey& k : bt_config_keys()) {
        auto with = parse(base + std::string(k.name) + "=" + other_value(k) + "\n");
        ASSERT_TRUE(with) << k.name << ": " << with.error().message;
        EXPECT_NE(field_text(*with, k), field_text(*plain, k)) << k.name;
        EXPECT_TRUE(with->warnings.empty()) << k.name;
    }
}

TEST(BtConfigKeys, NumbersOutOfRangeAreRefusedWithTheRange) {
    for (const BtConfigKey& k : bt_config_keys()) {
        if (k.type != ConfType::seconds && k.type != ConfType::mib_per_s) {
            continue;
        }
        const auto bad =
            parse(required + std::string(k.name) + "=" + std::to_string(k.max + 1) + "\n");
        ASSERT_FALSE(bad) << k.name;
        EXPECT_NE(bad.error().message.find(std::to_string(k.max)), std::string::npos)
            << bad.error().message;
    }
}

// bittorrent.conf(5) documents every key of the table, and no other.
TEST(BtConfigKeys, TheManPageListsExactlyTheTablesKeys) {
    auto page = read_text_file(std::string(SI_SOURCE_DIR) + "/docs/man/bittorrent.conf.5");
    ASSERT_TRUE(page) << page.error().message;
    std::set<std::string> documented;
    const std::regex entry(R"(^\.B[IR]? (BT_[A-Z_]+)=)");
    std::size_t start = 0;
    while (start < page->size()) {
        std::size_t end = page->find('\n', start);
        end = end == std::string::npos ? page->size() : end;
        std::smatch m;
        const std::string line = page->substr(start, end - start);
        if (std::regex_search(line, m, entry)) {
            documented.insert(m[1]);
        }
        start = end + 1;
    }
    std::set<std::string> table;
    for (const BtConfigKey& k : bt_config_keys()) {
        table.insert(std::string(k.name));
    }
    EXPECT_EQ(documented, table);
}

}  // namespace
}  // namespace si
