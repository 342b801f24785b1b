#include "common/appconfig_file.hpp"

#include <cctype>

namespace si {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

// File.pm: s/(^|\s+)#.*/$1/ -- the first '#' at the start or after whitespace ends the line.
void strip_comment(std::string& line) {
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '#' && (i == 0 || is_space(line[i - 1]))) {
            line.erase(i);
            return;
        }
    }
}

// File.pm: s/\\#/#/g
void unescape_hashes(std::string& line) {
    std::string out;
    out.reserve(line.size());
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '#') {
            continue;
        }
        out.push_back(line[i]);
    }
    line = std::move(out);
}

}  // namespace

const AppConfigValue* AppConfigFile::find(std::string_view name) const {
    const std::string key = lower(name);
    for (auto it = values.rbegin(); it != values.rend(); ++it) {
        if (it->name == key) {
            return &*it;
        }
    }
    return nullptr;
}

AppConfigFile parse_appconfig(std::string_view text, std::string_view file) {
    AppConfigFile out;
    std::string prefix;
    // Physical lines, '\n' removed (Perl's chomp; a '\r' goes with the trailing blanks).
    std::vector<std::string_view> lines;
    for (std::size_t pos = 0; pos < text.size();) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) {
            nl = text.size();
        }
        lines.push_back(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    for (std::size_t n = 0; n < lines.size(); ++n) {
        const int first_line = static_cast<int>(n) + 1;
        std::string line(lines[n]);
        strip_comment(line);
        // A continuation joins the next physical line, whose comment is then removed from the
        // joined text as File.pm's redo does.
        while (!line.empty() && line.back() == '\\' && n + 1 < lines.size()) {
            line.pop_back();
            line.append(lines[++n]);
            strip_comment(line);
        }
        if (!line.empty() && line.back() == '\\' && n + 1 == lines.size()) {
            line.pop_back();  // File.pm drops it at the end of the file too
        }
        unescape_hashes(line);
        std::string_view s = trim(line);
        if (s.empty()) {
            continue;
        }
        const auto where = std::string(file) + ":" + std::to_string(first_line) + ": ";
        if (s.size() > 2 && s.front() == '[' && s.back() == ']' &&
            s.substr(1, s.size() - 2).find(']') == std::string_view::npos) {
            prefix = lower(s.substr(1, s.size() - 2));
            continue;
        }
        // ^([^\s=]+)(?:(?:\s*=\s*)|\s+)(.*)
        std::size_t end = 0;
        while (end < s.size() && !is_space(s[end]) && s[end] != '=') {
            ++end;
        }
        if (end == 0) {
            out.warnings.push_back(where + "no name before '=' (ignored)");
            continue;
        }
        std::string name = lower(s.substr(0, end));
        const char flag = name.front();
        if (flag == '+' || flag == '-') {
            name.erase(0, 1);
        }
        if (!prefix.empty()) {
            name = prefix + "_" + name;
        }
        std::string_view rest = trim(s.substr(end));
        if (flag == '-') {  // File.pm: "-name" resets the variable to its default
            std::erase_if(out.values, [&](const AppConfigValue& v) { return v.name == name; });
            continue;
        }
        if (!rest.empty() && rest.front() == '=') {
            rest = trim(rest.substr(1));
        } else if (rest.empty()) {
            out.warnings.push_back(where + name + ": no value (ignored)");
            continue;
        }
        std::string value(rest);
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
            value.back() == value.front()) {
            value = value.substr(1, value.size() - 2);
        }
        out.values.push_back({std::move(name), std::move(value), first_line});
    }
    return out;
}

}  // namespace si
