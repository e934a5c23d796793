#include "shopify/graphql.hpp"

#include <cctype>
#include <cstdint>

namespace ferry::sandbox::shopify::graphql {

namespace {

// Token names as graphql-ruby reports them in "Parse error on ..." messages, which is what
// Shopify's Admin API answers for a document it cannot parse.
enum class tok { end, punct, name, integer, floating, string, bad };

struct token {
    tok type = tok::end;
    std::string text;  // punctuator, name, number literal, decoded string
    std::string raw;   // as written, for error messages
    location where;
};

std::string punct_name(const std::string& p) {
    static const std::map<std::string, std::string> names{
        {"{", "LCURLY"}, {"}", "RCURLY"}, {"(", "LPAREN"}, {")", "RPAREN"}, {"[", "LBRACKET"},
        {"]", "RBRACKET"}, {":", "COLON"}, {"$", "VAR_SIGN"}, {"@", "DIR_SIGN"}, {"...", "ELLIPSIS"},
        {"=", "EQUALS"}, {"!", "BANG"}, {"|", "PIPE"}, {"&", "AMP"}};
    auto it = names.find(p);
    return it == names.end() ? "UNKNOWN_CHAR" : it->second;
}

std::string name_token_name(const std::string& n) {
    static const std::map<std::string, std::string> keywords{
        {"query", "QUERY"}, {"mutation", "MUTATION"}, {"subscription", "SUBSCRIPTION"},
        {"fragment", "FRAGMENT"}, {"on", "ON"}, {"true", "TRUE"}, {"false", "FALSE"}, {"null", "NULL"}};
    auto it = keywords.find(n);
    return it == keywords.end() ? "IDENTIFIER" : it->second;
}

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

class lexer {
public:
    explicit lexer(const std::string& s) : src_(s) {}

    token next() {
        skip_ignored();
        token t;
        t.where = {line_, col()};
        if (pos_ >= src_.size()) return t;
        char c = src_[pos_];
        if (c == '.') {
            if (src_.compare(pos_, 3, "...") == 0) {
                advance(3);
                t.type = tok::punct;
                t.text = t.raw = "...";
                return t;
            }
            return bad(t, 1);
        }
        if (std::string("!$&()[]{}:=@|").find(c) != std::string::npos) {
            advance(1);
            t.type = tok::punct;
            t.text = t.raw = std::string(1, c);
            return t;
        }
        if (c == '_' || std::isalpha(static_cast<unsigned char>(c))) {
            size_t start = pos_;
            while (pos_ < src_.size() && (src_[pos_] == '_' || std::isalnum(static_cast<unsigned char>(src_[pos_])))) advance(1);
            t.type = tok::name;
            t.text = t.raw = src_.substr(start, pos_ - start);
            return t;
        }
        if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) return number(t);
        if (c == '"') return string(t);
        return bad(t, 1);
    }

private:
    int col() const { return static_cast<int>(pos_ - line_start_) + 1; }

    void advance(size_t n) {
        for (size_t i = 0; i < n && pos_ < src_.size(); ++i) {
            if (src_[pos_] == '\n') {
                ++line_;
                line_start_ = pos_ + 1;
            }
            ++pos_;
        }
    }

    void skip_ignored() {
        while (pos_ < src_.size()) {
            char c = src_[pos_];
            if (c == ' ' || c == '\t' || c == ',' || c == '\n' || c == '\r') {
                advance(1);
            } else if (c == '#') {
                while (pos_ < src_.size() && src_[pos_] != '\n') advance(1);
            } else if (src_.compare(pos_, 3, "\xEF\xBB\xBF") == 0) {
                advance(3);
            } else {
                return;
            }
        }
    }

    token bad(token& t, size_t n) {
        t.type = tok::bad;
        t.raw = src_.substr(pos_, n);
        advance(n);
        return t;
    }

    token number(token& t) {
        size_t start = pos_;
        if (src_[pos_] == '-') advance(1);
        auto digits = [&] {
            size_t d = pos_;
            while (pos_ < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos_]))) advance(1);
            return pos_ - d;
        };
        if (digits() == 0) return bad(t, 0);
        t.type = tok::integer;
        if (pos_ < src_.size() && src_[pos_] == '.') {
            advance(1);
            if (digits() == 0) {
                t.raw = src_.substr(start, pos_ - start);
                t.type = tok::bad;
                return t;
            }
            t.type = tok::floating;
        }
        if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
            advance(1);
            if (pos_ < src_.size() && (src_[pos_] == '+' || src_[pos_] == '-')) advance(1);
            if (digits() == 0) {
                t.raw = src_.substr(start, pos_ - start);
                t.type = tok::bad;
                return t;
            }
            t.type = tok::floating;
        }
        t.text = t.raw = src_.substr(start, pos_ - start);
        return t;
    }

    token string(token& t) {
        size_t start = pos_;
        if (src_.compare(pos_, 3, "\"\"\"") == 0) return block_string(t);
        advance(1);
        std::string out;
        while (pos_ < src_.size() && src_[pos_] != '"') {
            char c = src_[pos_];
            if (c == '\n' || c == '\r') break;
            if (c != '\\') {
                out += c;
                advance(1);
                continue;
            }
            if (pos_ + 1 >= src_.size()) break;
            char e = src_[pos_ + 1];
            advance(2);
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    if (pos_ + 4 > src_.size()) return bad_string(t, start);
                    uint32_t cp = 0;
                    for (int i = 0; i < 4; ++i) {
                        char h = src_[pos_ + i];
                        cp <<= 4;
                        if (h >= '0' && h <= '9') cp |= h - '0';
                        else if (h >= 'a' && h <= 'f') cp |= h - 'a' + 10;
                        else if (h >= 'A' && h <= 'F') cp |= h - 'A' + 10;
                        else return bad_string(t, start);
                    }
                    advance(4);
                    append_utf8(out, cp);
                    break;
                }
                default: return bad_string(t, start);
            }
        }
        if (pos_ >= src_.size() || src_[pos_] != '"') return bad_string(t, start);
        advance(1);
        t.type = tok::string;
        t.text = std::move(out);
        t.raw = src_.substr(start, pos_ - start);
        return t;
    }

    token bad_string(token& t, size_t start) {
        t.type = tok::bad;
        t.raw = src_.substr(start, pos_ - start);
        return t;
    }

    // Block strings: raw text with the common indentation removed (spec section 2.9.4).
    token block_string(token& t) {
        size_t start = pos_;
        advance(3);
        std::string raw;
        while (true) {
            if (pos_ >= src_.size()) return bad_string(t, start);
            if (src_.compare(pos_, 3, "\"\"\"") == 0) break;
            if (src_.compare(pos_, 4, "\\\"\"\"") == 0) {
                raw += "\"\"\"";
                advance(4);
                continue;
            }
            raw += src_[pos_];
            advance(1);
        }
        advance(3);
        std::vector<std::string> lines;
        size_t from = 0;
        for (size_t i = 0; i <= raw.size(); ++i) {
            if (i == raw.size() || raw[i] == '\n') {
                std::string l = raw.substr(from, i - from);
                if (!l.empty() && l.back() == '\r') l.pop_back();
                lines.push_back(l);
                from = i + 1;
            }
        }
        size_t common = std::string::npos;
        for (size_t i = 1; i < lines.size(); ++i) {
            size_t indent = lines[i].find_first_not_of(" \t");
            if (indent != std::string::npos && indent < common) common = indent;
        }
        if (common != std::string::npos) {
            for (size_t i = 1; i < lines.size(); ++i) lines[i].erase(0, std::min(common, lines[i].size()));
        }
        auto blank = [](const std::string& l) { return l.find_first_not_of(" \t") == std::string::npos; };
        while (!lines.empty() && blank(lines.front())) lines.erase(lines.begin());
        while (!lines.empty() && blank(lines.back())) lines.pop_back();
        std::string out;
        for (size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
        t.type = tok::string;
        t.text = std::move(out);
        t.raw = src_.substr(start, pos_ - start);
        return t;
    }

    const std::string& src_;
    size_t pos_ = 0;
    size_t line_start_ = 0;
    int line_ = 1;
};

class parser {
public:
    explicit parser(const std::string& s) : lex_(s) { current_ = lex_.next(); }

    document parse_document() {
        document doc;
        if (current_.type == tok::end) fail();
        while (current_.type != tok::end) {
            if (is_punct("{")) {
                operation op;
                op.where = current_.where;
                op.selections = parse_selection_set();
                doc.operations.push_back(std::move(op));
            } else if (is_name("query") || is_name("mutation") || is_name("subscription")) {
                doc.operations.push_back(parse_operation());
            } else if (is_name("fragment")) {
                fragment f = parse_fragment();
                std::string name = f.name;
                doc.fragments.emplace(name, std::move(f));
            } else {
                fail();
            }
        }
        return doc;
    }

private:
    bool is_punct(const char* p) const { return current_.type == tok::punct && current_.text == p; }
    bool is_name(const char* n) const { return current_.type == tok::name && current_.text == n; }

    [[noreturn]] void fail() const {
        const location& w = current_.where;
        std::string at = " at [" + std::to_string(w.line) + ", " + std::to_string(w.column) + "]";
        if (current_.type == tok::end) throw syntax_error("Unexpected end of document", w);
        std::string kind;
        switch (current_.type) {
            case tok::punct: kind = punct_name(current_.text); break;
            case tok::name: kind = name_token_name(current_.text); break;
            case tok::integer: kind = "INT"; break;
            case tok::floating: kind = "FLOAT"; break;
            case tok::string: kind = "STRING"; break;
            default: kind = current_.raw.rfind('"', 0) == 0 ? "UNTERMINATED_STRING" : "UNKNOWN_CHAR"; break;
        }
        std::string shown = current_.type == tok::string ? current_.text : current_.raw;
        std::string escaped;
        for (char c : shown) {
            if (c == '"' || c == '\\') escaped += '\\';
            escaped += c;
        }
        throw syntax_error("Parse error on \"" + escaped + "\" (" + kind + ")" + at, w);
    }

    token take() {
        token t = std::move(current_);
        current_ = lex_.next();
        return t;
    }

    void expect_punct(const char* p) {
        if (!is_punct(p)) fail();
        take();
    }

    std::string expect_name() {
        if (current_.type != tok::name) fail();
        return take().text;
    }

    operation parse_operation() {
        operation op;
        op.where = current_.where;
        op.type = take().text;
        if (current_.type == tok::name) op.name = take().text;
        if (is_punct("(")) {
            take();
            if (is_punct(")")) fail();
            while (!is_punct(")")) op.variables.push_back(parse_variable_definition());
            take();
        }
        op.directives = parse_directives(false);
        op.selections = parse_selection_set();
        return op;
    }

    variable_definition parse_variable_definition() {
        variable_definition v;
        v.where = current_.where;
        expect_punct("$");
        v.name = expect_name();
        expect_punct(":");
        v.type = parse_type();
        if (is_punct("=")) {
            take();
            v.default_value = parse_value(true);
        }
        parse_directives(true);
        return v;
    }

    type_ref parse_type() {
        type_ref t;
        if (is_punct("[")) {
            take();
            t.of = std::make_shared<type_ref>(parse_type());
            expect_punct("]");
        } else {
            t.name = expect_name();
        }
        if (is_punct("!")) {
            take();
            t.non_null = true;
        }
        return t;
    }

    fragment parse_fragment() {
        fragment f;
        f.where = current_.where;
        take();
        if (is_name("on")) fail();
        f.name = expect_name();
        if (!is_name("on")) fail();
        take();
        f.type_condition = expect_name();
        f.directives = parse_directives(false);
        f.selections = parse_selection_set();
        return f;
    }

    selection_set parse_selection_set() {
        expect_punct("{");
        selection_set set;
        if (is_punct("}")) fail();
        while (!is_punct("}")) set.push_back(parse_selection());
        take();
        return set;
    }

    selection parse_selection() {
        selection s;
        s.where = current_.where;
        if (is_punct("...")) {
            take();
            if (current_.type == tok::name && current_.text != "on") {
                s.type = selection::kind::fragment_spread;
                s.name = take().text;
                s.directives = parse_directives(false);
                return s;
            }
            s.type = selection::kind::inline_fragment;
            if (is_name("on")) {
                take();
                s.type_condition = expect_name();
            }
            s.directives = parse_directives(false);
            s.children = std::make_shared<selection_set>(parse_selection_set());
            return s;
        }
        s.name = expect_name();
        if (is_punct(":")) {
            take();
            s.alias = s.name;
            s.name = expect_name();
        }
        if (is_punct("(")) s.arguments = parse_arguments(false);
        s.directives = parse_directives(false);
        if (is_punct("{")) s.children = std::make_shared<selection_set>(parse_selection_set());
        return s;
    }

    std::vector<argument> parse_arguments(bool constant) {
        expect_punct("(");
        std::vector<argument> args;
        if (is_punct(")")) fail();
        while (!is_punct(")")) {
            argument a;
            a.where = current_.where;
            a.name = expect_name();
            expect_punct(":");
            a.val = parse_value(constant);
            args.push_back(std::move(a));
        }
        take();
        return args;
    }

    std::vector<directive> parse_directives(bool constant) {
        std::vector<directive> out;
        while (is_punct("@")) {
            directive d;
            d.where = current_.where;
            take();
            d.name = expect_name();
            if (is_punct("(")) d.arguments = parse_arguments(constant);
            out.push_back(std::move(d));
        }
        return out;
    }

    value_ptr parse_value(bool constant) {
        auto v = std::make_shared<value>();
        v->where = current_.where;
        switch (current_.type) {
            case tok::punct:
                if (is_punct("$") && !constant) {
                    take();
                    v->type = value::kind::variable;
                    v->text = expect_name();
                    return v;
                }
                if (is_punct("[")) {
                    take();
                    v->type = value::kind::list;
                    while (!is_punct("]")) v->items.push_back(parse_value(constant));
                    take();
                    return v;
                }
                if (is_punct("{")) {
                    take();
                    v->type = value::kind::object;
                    while (!is_punct("}")) {
                        std::string name = expect_name();
                        expect_punct(":");
                        v->fields.emplace_back(std::move(name), parse_value(constant));
                    }
                    take();
                    return v;
                }
                fail();
            case tok::integer:
                v->type = value::kind::integer;
                v->text = take().text;
                return v;
            case tok::floating:
                v->type = value::kind::floating;
                v->text = take().text;
                return v;
            case tok::string:
                v->type = value::kind::string;
                v->text = take().text;
                return v;
            case tok::name:
                if (is_name("true") || is_name("false")) {
                    v->type = value::kind::boolean;
                    v->flag = take().text == "true";
                } else if (is_name("null")) {
                    take();
                    v->type = value::kind::null;
                } else {
                    v->type = value::kind::enumeration;
                    v->text = take().text;
                }
                return v;
            default:
                fail();
        }
    }

    lexer lex_;
    token current_;
};

}  // namespace

std::string type_ref::to_string() const {
    std::string s = of ? "[" + of->to_string() + "]" : name;
    return non_null ? s + "!" : s;
}

document parse(const std::string& source) {
    parser p(source);
    return p.parse_document();
}

}  // namespace ferry::sandbox::shopify::graphql
