#include "manifest/json_source.hpp"

#include <boost/json/stream_parser.hpp>

#include <algorithm>

namespace ferry::host {

std::string diagnostic::format() const {
    std::string out = file;
    if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
    out += ": ";
    if (!pointer.empty()) out += pointer + ": ";
    out += message;
    if (!hint.empty()) out += " (hint: " + hint + ")";
    return out;
}

std::string pointer_append(std::string_view pointer, std::string_view token) {
    std::string out(pointer);
    out += '/';
    for (char c : token) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}

namespace {

// Walks text that Boost.JSON has already accepted and records where each value and key starts.
class position_indexer {
public:
    position_indexer(std::string_view text, std::map<std::string, size_t>& values, std::map<std::string, size_t>& keys)
        : text_(text), values_(values), keys_(keys) {}

    void run() { value(""); }

private:
    void skip_space() {
        while (pos_ < text_.size()) {
            char c = text_[pos_];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                ++pos_;
            } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
                pos_ = std::min(text_.find('\n', pos_), text_.size());
            } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
                size_t end = text_.find("*/", pos_ + 2);
                pos_ = end == std::string_view::npos ? text_.size() : end + 2;
            } else {
                return;
            }
        }
    }

    // Reads a string literal at pos_ and returns its decoded text.
    std::string string_literal() {
        std::string out;
        ++pos_;  // opening quote
        while (pos_ < text_.size() && text_[pos_] != '"') {
            char c = text_[pos_++];
            if (c != '\\' || pos_ >= text_.size()) {
                out += c;
                continue;
            }
            char e = text_[pos_++];
            switch (e) {
                case 'n': out += '\n'; break;
                case 't': out += '\t'; break;
                case 'r': out += '\r'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'u': {
                    unsigned code = std::stoul(std::string(text_.substr(pos_, 4)), nullptr, 16);
                    pos_ += 4;
                    if (code < 0x80) {
                        out += char(code);
                    } else if (code < 0x800) {
                        out += char(0xc0 | (code >> 6));
                        out += char(0x80 | (code & 0x3f));
                    } else {
                        out += char(0xe0 | (code >> 12));
                        out += char(0x80 | ((code >> 6) & 0x3f));
                        out += char(0x80 | (code & 0x3f));
                    }
                    break;
                }
                default: out += e;  // \" \\ \/
            }
        }
        ++pos_;  // closing quote
        return out;
    }

    void value(const std::string& pointer) {
        skip_space();
        values_.emplace(pointer, pos_);
        if (pos_ >= text_.size()) return;
        char c = text_[pos_];
        if (c == '{') {
            ++pos_;
            for (;;) {
                skip_space();
                if (pos_ >= text_.size() || text_[pos_] == '}') break;
                size_t key_start = pos_;
                std::string child = pointer_append(pointer, string_literal());
                keys_.emplace(child, key_start);
                skip_space();
                ++pos_;  // ':'
                value(child);
                skip_space();
                if (pos_ < text_.size() && text_[pos_] == ',') ++pos_;
            }
            ++pos_;
        } else if (c == '[') {
            ++pos_;
            for (size_t index = 0;; ++index) {
                skip_space();
                if (pos_ >= text_.size() || text_[pos_] == ']') break;
                value(pointer + "/" + std::to_string(index));
                skip_space();
                if (pos_ < text_.size() && text_[pos_] == ',') ++pos_;
            }
            ++pos_;
        } else if (c == '"') {
            string_literal();
        } else {
            while (pos_ < text_.size() && std::string_view(",]} \t\r\n/").find(text_[pos_]) == std::string_view::npos) ++pos_;
        }
    }

    std::string_view text_;
    std::map<std::string, size_t>& values_;
    std::map<std::string, size_t>& keys_;
    size_t pos_ = 0;
};

}  // namespace

std::optional<json_source> json_source::parse(std::string text, const std::string& file, diagnostic& error) {
    json_source out;
    out.text_ = std::move(text);
    out.file_ = file;
    out.line_starts_.push_back(0);
    for (size_t i = 0; i < out.text_.size(); ++i) {
        if (out.text_[i] == '\n') out.line_starts_.push_back(i + 1);
    }

    boost::json::parse_options options;
    options.allow_comments = true;
    options.allow_trailing_commas = true;
    boost::json::stream_parser parser({}, options);
    boost::system::error_code ec;
    size_t consumed = parser.write_some(out.text_.data(), out.text_.size(), ec);
    if (!ec) parser.finish(ec);
    if (!ec && consumed < out.text_.size()) ec = boost::json::error::extra_data;
    if (ec) {
        error = diagnostic{};
        error.file = file;
        out.locate(consumed, error.line, error.column);
        error.message = "not valid JSON: " + ec.message();
        error.hint = "comments (// and /* */) and trailing commas are allowed; check quotes, commas and brackets";
        return std::nullopt;
    }
    out.value_ = parser.release();
    out.index_positions();
    return out;
}

void json_source::index_positions() {
    position_indexer(text_, value_offsets_, key_offsets_).run();
}

void json_source::locate(size_t offset, size_t& line, size_t& column) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    size_t index = static_cast<size_t>(it - line_starts_.begin()) - 1;
    line = index + 1;
    column = offset - line_starts_[index] + 1;
}

diagnostic json_source::at(const std::string& pointer, std::string message, std::string hint, bool at_key) const {
    diagnostic out;
    out.file = file_;
    out.pointer = pointer.empty() ? "/" : pointer;
    out.message = std::move(message);
    out.hint = std::move(hint);
    std::optional<size_t> offset;
    if (at_key) {
        if (auto key = key_offsets_.find(pointer); key != key_offsets_.end()) offset = key->second;
    }
    for (std::string probe = pointer; !offset;) {
        if (auto value = value_offsets_.find(probe); value != value_offsets_.end()) {
            offset = value->second;
        } else if (probe.empty()) {
            break;
        } else {
            probe.erase(probe.rfind('/'));
        }
    }
    if (offset) locate(*offset, out.line, out.column);
    return out;
}

diagnostic json_source::at_string_offset(const std::string& pointer, size_t offset, std::string message, std::string hint) const {
    diagnostic out = at(pointer, std::move(message), std::move(hint));
    auto found = value_offsets_.find(pointer);
    if (found == value_offsets_.end() || found->second >= text_.size() || text_[found->second] != '"') return out;
    size_t raw = found->second + 1;  // past the opening quote
    // Each escape is one decoded character but several raw ones (a six-character Unicode escape
    // is counted as one byte: exact for the ASCII that expressions are written in).
    for (size_t decoded = 0; decoded < offset && raw < text_.size() && text_[raw] != '"'; ++decoded) {
        if (text_[raw] != '\\') {
            ++raw;
        } else {
            raw += (raw + 1 < text_.size() && text_[raw + 1] == 'u') ? 6 : 2;
        }
    }
    locate(raw, out.line, out.column);
    return out;
}

}  // namespace ferry::host
