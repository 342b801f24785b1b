#include "common/shell_conf.hpp"

#include <cstring>

#include "common/file_io.hpp"
#include "common/text_lines.hpp"

namespace si {
namespace {

bool is_name_start(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_name_char(char c) {
    return is_name_start(c) || (c >= '0' && c <= '9');
}
bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

// One logical line: physical lines joined where a backslash ends a line outside single quotes.
struct LogicalLine {
    std::string text;
    int first_line;
};

std::vector<LogicalLine> split_lines(std::string_view text) {
    std::vector<LogicalLine> out;
    std::string pending;
    int pending_start = 0;
    for_each_line(text, [&](int line_no, std::string_view line) {
        if (pending.empty()) {
            pending_start = line_no;
        }
        // A trailing odd run of backslashes continues the line.
        size_t slashes = 0;
        while (slashes < line.size() && line[line.size() - 1 - slashes] == '\\') {
            ++slashes;
        }
        if (slashes % 2 == 1 && line.find('#') == std::string_view::npos) {
            pending.append(line.substr(0, line.size() - 1));
        } else {
            pending.append(line);
            out.push_back({std::move(pending), pending_start});
            pending.clear();
        }
    });
    if (!pending.empty()) {
        out.push_back({std::move(pending), pending_start});
    }
    return out;
}

class ValueReader {
  public:
    ValueReader(std::string_view s, const ShellConf& conf) : s_(s), conf_(conf) {}

    // Reads from s_[i] to the end of the value; returns an error text or "".
    std::string read(size_t& i, std::string& value, bool& unquoted_space) {
        unquoted_space = false;
        while (i < s_.size()) {
            char c = s_[i];
            if (is_blank(c)) {
                size_t j = i;
                while (j < s_.size() && is_blank(s_[j])) {
                    ++j;
                }
                if (j == s_.size() || s_[j] == '#') {
                    i = s_.size();
                    return "";
                }
                // A shell would run the rest as a command; we keep it as part of the value.
                unquoted_space = true;
                value.push_back(' ');
                i = j;
                continue;
            }
            if (c == '\\') {
                if (i + 1 < s_.size()) {
                    value.push_back(s_[i + 1]);
                }
                i += 2;
            } else if (c == '\'') {
                size_t end = s_.find('\'', i + 1);
                if (end == std::string_view::npos) {
                    return "unterminated single quote";
                }
                value.append(s_.substr(i + 1, end - i - 1));
                i = end + 1;
            } else if (c == '"') {
                ++i;
                bool closed = false;
                while (i < s_.size()) {
                    char d = s_[i];
                    if (d == '"') {
                        closed = true;
                        ++i;
                        break;
                    }
                    if (d == '\\' && i + 1 < s_.size() &&
                        std::strchr("\"\\$`", s_[i + 1]) != nullptr) {
                        value.push_back(s_[i + 1]);
                        i += 2;
                    } else if (d == '$') {
                        expand(i, value);
                    } else {
                        value.push_back(d);
                        ++i;
                    }
                }
                if (!closed) {
                    return "unterminated double quote";
                }
            } else if (c == '$') {
                expand(i, value);
            } else if (c == '`') {
                return "command substitution (`...`) is not supported";
            } else {
                value.push_back(c);
                ++i;
            }
        }
        return "";
    }

  private:
    // s_[i] == '$': appends the value of $NAME or ${NAME} from earlier lines.
    void expand(size_t& i, std::string& value) {
        size_t j = i + 1;
        bool braced = j < s_.size() && s_[j] == '{';
        if (braced) {
            ++j;
        }
        size_t name_start = j;
        while (j < s_.size() && is_name_char(s_[j])) {
            ++j;
        }
        std::string_view name = s_.substr(name_start, j - name_start);
        if (name.empty() || (braced && (j >= s_.size() || s_[j] != '}'))) {
            value.push_back('$');
            ++i;
            return;
        }
        if (braced) {
            ++j;
        }
        if (const Assignment* a = conf_.find(name)) {
            value.append(a->value);
        }
        i = j;
    }

    std::string_view s_;
    const ShellConf& conf_;
};

// `s` with bytes a terminal would not show (controls, non-ASCII) spelled \xNN, so that an
// error about an invisible character shows it.
std::string visible(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (c < 0x20 || c >= 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
    return out;
}

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

}  // namespace

const Assignment* ShellConf::find(std::string_view key) const {
    for (auto it = assignments.rbegin(); it != assignments.rend(); ++it) {
        if (it->key == key) {
            return &*it;
        }
    }
    return nullptr;
}

Result<ShellConf> parse_shell_conf(std::string_view text, std::string_view file) {
    ShellConf conf;
    conf.file = std::string(file);
    if (text.substr(0, utf8_bom.size()) == utf8_bom) {
        // Some editors start a file with one. sh would try to run "\xEF\xBB\xBF# ..." as a
        // command, fail, and go on with the rest: the assignments still count.
        text.remove_prefix(utf8_bom.size());
        conf.warnings.push_back(conf.file + ":1: UTF-8 byte-order mark at the start (ignored)");
    }
    for (const LogicalLine& ll : split_lines(text)) {
        std::string_view s = ll.text;
        size_t i = 0;
        while (i < s.size() && is_blank(s[i])) {
            ++i;
        }
        if (i == s.size() || s[i] == '#') {
            continue;
        }
        auto where = conf.file + ":" + std::to_string(ll.first_line) + ": ";
        if (s.substr(i, 7) == "export " || s.substr(i, 7) == "export\t") {
            i += 7;
            while (i < s.size() && is_blank(s[i])) {
                ++i;
            }
        }
        size_t key_start = i;
        if (i < s.size() && is_name_start(s[i])) {
            while (i < s.size() && is_name_char(s[i])) {
                ++i;
            }
        }
        std::string key(s.substr(key_start, i - key_start));
        if (key.empty() || i >= s.size() || s[i] != '=') {
            std::string hint;
            size_t eq = s.find('=');
            if (!key.empty() && eq != std::string_view::npos &&
                s.substr(i, eq - i).find_first_not_of(" \t") == std::string_view::npos) {
                hint = " (no spaces around '=' in a shell assignment)";
            }
            return Error{where + "not a KEY=value line: '" + visible(s.substr(key_start)) + "'" +
                         hint};
        }
        ++i;
        Assignment a{key, "", ll.first_line};
        bool unquoted_space = false;
        std::string err = ValueReader(s, conf).read(i, a.value, unquoted_space);
        if (!err.empty()) {
            return Error{where + key + ": " + err};
        }
        if (unquoted_space) {
            conf.warnings.push_back(where + key + ": unquoted spaces in the value; read as '" +
                                    a.value + "'");
        }
        conf.assignments.push_back(std::move(a));
    }
    return conf;
}

Result<ShellConf> load_shell_conf(const std::string& path) {
    auto text = read_text_file(path);
    if (!text) {
        return text.error();
    }
    return parse_shell_conf(*text, path);
}

}  // namespace si
