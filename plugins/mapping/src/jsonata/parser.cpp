// Lexer and top-down operator-precedence parser for JSONata, then the pass that turns chains of
// `.`, `[..]`, `{..}`, `^(..)`, `@` and `#` into paths of annotated steps.
#include "jsonata/ast.hpp"
#include "jsonata/text.hpp"

#include <cmath>
#include <cstdlib>
#include <map>

namespace ferry::mapping::jsonata {

namespace {

struct token {
    enum class kind { name, variable, string, number, literal, regex, op, end } type = kind::end;
    std::string text;
    double number = 0;
    value literal;
    size_t position = 0;
};

const std::map<std::string, int>& binding_powers() {
    static const std::map<std::string, int> powers{
        {".", 75},  {"[", 80},  {"]", 0},   {"{", 70},  {"}", 0},   {"(", 80},  {")", 0},   {",", 0},
        {"@", 80},  {"#", 80},  {";", 80},  {":", 80},  {"?", 20},  {"+", 50},  {"-", 50},  {"*", 60},
        {"/", 60},  {"%", 60},  {"|", 20},  {"=", 40},  {"<", 40},  {">", 40},  {"^", 40},  {"**", 60},
        {"..", 20}, {":=", 10}, {"!=", 40}, {"<=", 40}, {">=", 40}, {"~>", 40}, {"?:", 40}, {"??", 40},
        {"and", 30}, {"or", 25}, {"in", 40}, {"&", 50},
    };
    return powers;
}

bool is_operator_char(char c) {
    switch (c) {
        case '.': case '[': case ']': case '{': case '}': case '(': case ')': case ',': case '@': case '#':
        case ';': case ':': case '?': case '+': case '-': case '*': case '/': case '%': case '|': case '=':
        case '<': case '>': case '^': case '&': case '!': case '~':
            return true;
        default:
            return false;
    }
}

class lexer {
public:
    explicit lexer(const std::string& text) : text_(text) {}

    // The next token. `operand_expected` decides whether '/' starts a regular expression.
    token next(bool operand_expected) {
        skip_space_and_comments();
        token t;
        t.position = pos_;
        if (pos_ >= text_.size()) return t;
        char c = text_[pos_];
        if (operand_expected && c == '/') return regex(t);
        if (c == '.' && peek(1) == '.') return op(t, "..");
        if (c == ':' && peek(1) == '=') return op(t, ":=");
        if (c == '!' && peek(1) == '=') return op(t, "!=");
        if (c == '>' && peek(1) == '=') return op(t, ">=");
        if (c == '<' && peek(1) == '=') return op(t, "<=");
        if (c == '*' && peek(1) == '*') return op(t, "**");
        if (c == '~' && peek(1) == '>') return op(t, "~>");
        if (c == '?' && peek(1) == ':') return op(t, "?:");
        if (c == '?' && peek(1) == '?') return op(t, "??");
        if (is_operator_char(c)) return op(t, std::string(1, c));
        if (c == '"' || c == '\'') return string_literal(t, c);
        if (c >= '0' && c <= '9') return number(t);
        if (c == '`') {
            size_t end = text_.find('`', pos_ + 1);
            if (end == std::string::npos) throw error("S0105", pos_, "Quoted property name must be terminated with a backquote (`)");
            t.type = token::kind::name;
            t.text = text_.substr(pos_ + 1, end - pos_ - 1);
            pos_ = end + 1;
            return t;
        }
        size_t start = pos_;
        while (pos_ < text_.size()) {
            char d = text_[pos_];
            if (d == ' ' || d == '\t' || d == '\n' || d == '\r' || d == '\v' || d == '\f' || is_operator_char(d) ||
                d == '"' || d == '\'' || d == '`') {
                break;
            }
            ++pos_;
        }
        std::string word = text_.substr(start, pos_ - start);
        if (word[0] == '$') {
            t.type = token::kind::variable;
            t.text = word.substr(1);
        } else if (word == "and" || word == "or" || word == "in") {
            t.type = token::kind::op;
            t.text = word;
        } else if (word == "true" || word == "false") {
            t.type = token::kind::literal;
            t.literal = value::boolean(word == "true");
            t.text = word;
        } else if (word == "null") {
            t.type = token::kind::literal;
            t.literal = value::null();
            t.text = word;
        } else {
            t.type = token::kind::name;
            t.text = word;
        }
        return t;
    }

private:
    char peek(size_t ahead) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }

    void skip_space_and_comments() {
        for (;;) {
            while (pos_ < text_.size() && std::string_view(" \t\n\r\v\f").find(text_[pos_]) != std::string_view::npos) ++pos_;
            if (peek(0) == '/' && peek(1) == '*') {
                size_t end = text_.find("*/", pos_ + 2);
                if (end == std::string::npos) throw error("S0106", pos_, "Comment has no closing tag");
                pos_ = end + 2;
                continue;
            }
            return;
        }
    }

    token op(token& t, const std::string& symbol) {
        t.type = token::kind::op;
        t.text = symbol;
        pos_ += symbol.size();
        return t;
    }

    token regex(token& t) {
        size_t start = ++pos_;
        int depth = 0;
        while (pos_ < text_.size()) {
            char c = text_[pos_];
            if (c == '\\') {
                pos_ += 2;
                continue;
            }
            if (c == '[') ++depth;
            if (c == ']' && depth > 0) --depth;
            if (c == '/' && depth == 0) break;
            ++pos_;
        }
        if (pos_ >= text_.size()) throw error("S0302", start, "No terminating / in regular expression");
        std::string pattern = text_.substr(start, pos_ - start);
        if (pattern.empty()) throw error("S0301", start, "Empty regular expressions are not allowed");
        ++pos_;
        size_t flags_start = pos_;
        while (pos_ < text_.size() && (text_[pos_] == 'i' || text_[pos_] == 'm')) ++pos_;
        t.type = token::kind::regex;
        t.text = pattern;
        t.literal = value::string(text_.substr(flags_start, pos_ - flags_start));  // the flags
        return t;
    }

    token string_literal(token& t, char quote) {
        ++pos_;
        std::string out;
        while (pos_ < text_.size()) {
            char c = text_[pos_];
            if (c == quote) {
                ++pos_;
                t.type = token::kind::string;
                t.text = std::move(out);
                return t;
            }
            if (c != '\\') {
                out += c;
                ++pos_;
                continue;
            }
            char e = peek(1);
            pos_ += 2;
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
                    unsigned code = hex4(pos_);
                    pos_ += 4;
                    if (code >= 0xd800 && code <= 0xdbff && peek(0) == '\\' && peek(1) == 'u') {
                        unsigned low = hex4(pos_ + 2);
                        if (low >= 0xdc00 && low <= 0xdfff) {
                            code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
                            pos_ += 6;
                        }
                    }
                    out += to_utf8(std::u32string(1, char32_t(code)));
                    break;
                }
                default:
                    throw error("S0103", pos_ - 1, std::string("Unsupported escape sequence: \\") + e, std::string(1, e));
            }
        }
        throw error("S0101", t.position, "String literal must be terminated by a matching quote");
    }

    unsigned hex4(size_t at) const {
        if (at + 4 > text_.size()) throw error("S0104", at, "The escape sequence \\u must be followed by 4 hex digits");
        unsigned code = 0;
        for (size_t i = at; i < at + 4; ++i) {
            char h = text_[i];
            code <<= 4;
            if (h >= '0' && h <= '9') {
                code |= unsigned(h - '0');
            } else if (h >= 'a' && h <= 'f') {
                code |= unsigned(h - 'a' + 10);
            } else if (h >= 'A' && h <= 'F') {
                code |= unsigned(h - 'A' + 10);
            } else {
                throw error("S0104", at, "The escape sequence \\u must be followed by 4 hex digits");
            }
        }
        return code;
    }

    token number(token& t) {
        size_t start = pos_;
        if (peek(0) == '0') {
            ++pos_;
        } else {
            while (std::isdigit(static_cast<unsigned char>(peek(0)))) ++pos_;
        }
        if (peek(0) == '.' && std::isdigit(static_cast<unsigned char>(peek(1)))) {
            ++pos_;
            while (std::isdigit(static_cast<unsigned char>(peek(0)))) ++pos_;
        }
        if ((peek(0) == 'e' || peek(0) == 'E') &&
            (std::isdigit(static_cast<unsigned char>(peek(1))) ||
             ((peek(1) == '+' || peek(1) == '-') && std::isdigit(static_cast<unsigned char>(peek(2)))))) {
            pos_ += 2;
            while (std::isdigit(static_cast<unsigned char>(peek(0)))) ++pos_;
        }
        double n = std::strtod(text_.substr(start, pos_ - start).c_str(), nullptr);
        if (!std::isfinite(n)) throw error("S0102", start, "Number out of range: " + text_.substr(start, pos_ - start));
        t.type = token::kind::number;
        t.number = n;
        t.text = text_.substr(start, pos_ - start);
        return t;
    }

    const std::string& text_;
    size_t pos_ = 0;
};

// The raw tree the Pratt parser builds, before steps are assembled into paths.
class pratt {
public:
    explicit pratt(const std::string& text) : lex_(text) { advance(true); }

    node_ptr parse_all() {
        node_ptr tree = expression(0);
        if (current_.type != token::kind::end) {
            throw error("S0201", current_.position, "Syntax error: " + describe(current_), current_.text);
        }
        return tree;
    }

private:
    static std::string describe(const token& t) {
        return t.type == token::kind::end ? "end of expression" : "\"" + t.text + "\"";
    }

    int lbp(const token& t) const {
        if (t.type != token::kind::op) return 0;
        // Separators bind nothing; ".." only appears inside an array constructor.
        // "|" only opens and closes a transform.
        if (t.text == ":" || t.text == ";" || t.text == ".." || t.text == "," || t.text == "|") return 0;
        auto found = binding_powers().find(t.text);
        return found == binding_powers().end() ? 0 : found->second;
    }

    bool is_op(const char* symbol) const { return current_.type == token::kind::op && current_.text == symbol; }

    // Moves to the next token; `operand_expected` when the token after this one starts an operand.
    void advance(bool operand_expected) {
        if (current_.type == token::kind::op && binding_powers().find(current_.text) == binding_powers().end()) {
            throw error("S0204", current_.position, "Unknown operator: \"" + current_.text + "\"", current_.text);
        }
        current_ = lex_.next(operand_expected);
        if (current_.type == token::kind::op && binding_powers().find(current_.text) == binding_powers().end()) {
            throw error("S0204", current_.position, "Unknown operator: \"" + current_.text + "\"", current_.text);
        }
    }

    void expect(const char* symbol, bool operand_expected) {
        if (!is_op(symbol)) {
            if (current_.type == token::kind::end) {
                throw error("S0203", current_.position, std::string("Expected \"") + symbol + "\" before end of expression", symbol);
            }
            throw error("S0202", current_.position, std::string("Expected \"") + symbol + "\", got " + describe(current_),
                        current_.text);
        }
        advance(operand_expected);
    }

    // After an operand, an operator follows; '/' is then division.
    static bool ends_operand(const token& t) {
        switch (t.type) {
            case token::kind::name:
            case token::kind::variable:
            case token::kind::string:
            case token::kind::number:
            case token::kind::literal:
            case token::kind::regex:
                return true;
            case token::kind::op:
                return t.text == ")" || t.text == "]" || t.text == "}" || t.text == "*" || t.text == "**" || t.text == "%";
            default:
                return false;
        }
    }

    node_ptr expression(int rbp) {
        token t = current_;
        advance(!ends_operand(t) || t.type == token::kind::op);
        node_ptr left = nud(t);
        while (rbp < lbp(current_)) {
            t = current_;
            advance(true);
            left = led(t, left);
        }
        return left;
    }

    node_ptr make(node::kind k, const token& t) {
        auto n = std::make_shared<node>(k, t.position);
        n->text = t.text;
        return n;
    }

    node_ptr nud(const token& t) {
        switch (t.type) {
            case token::kind::end:
                throw error("S0207", t.position, "Unexpected end of expression");
            case token::kind::number: {
                auto n = make(node::kind::number, t);
                n->number = t.number;
                return n;
            }
            case token::kind::string: {
                auto n = make(node::kind::string, t);
                n->literal = value::string(t.text);  // built once, shared by every evaluation
                return n;
            }
            case token::kind::literal: {
                auto n = make(node::kind::literal, t);
                n->literal = t.literal;
                return n;
            }
            case token::kind::regex: {
                auto n = make(node::kind::regex, t);
                n->literal = t.literal;  // flags
                return n;
            }
            case token::kind::variable:
                return make(node::kind::variable, t);
            case token::kind::name:
                if ((t.text == "function" || t.text == "λ") && is_op("(")) return lambda(t);
                return make(node::kind::name, t);
            case token::kind::op:
                break;
        }
        const std::string& s = t.text;
        if (s == "and" || s == "or" || s == "in") return make(node::kind::name, t);  // used as a field name
        if (s == "-") {
            auto n = make(node::kind::negate, t);
            n->lhs = expression(70);
            return n;
        }
        if (s == "*") return make(node::kind::wildcard, t);
        if (s == "**") return make(node::kind::descendant, t);
        if (s == "%") return make(node::kind::parent, t);
        if (s == "?") return make(node::kind::placeholder, t);
        if (s == "(") {
            auto n = make(node::kind::block, t);
            while (!is_op(")")) {
                n->items.push_back(expression(0));
                if (!is_op(";")) break;
                advance(true);
            }
            expect(")", false);
            return n;
        }
        if (s == "[") {
            auto n = make(node::kind::array, t);
            if (!is_op("]")) {
                for (;;) {
                    node_ptr item = expression(0);
                    if (is_op("..")) {
                        token range = current_;
                        advance(true);
                        auto r = make(node::kind::binary, range);
                        r->lhs = item;
                        r->rhs = expression(0);
                        item = r;
                    }
                    n->items.push_back(item);
                    if (!is_op(",")) break;
                    advance(true);
                }
            }
            expect("]", false);
            return n;
        }
        if (s == "{") {
            auto n = make(node::kind::object, t);
            object_pairs(*n);
            return n;
        }
        if (s == "|") {
            auto n = make(node::kind::transform, t);
            n->lhs = expression(0);
            expect("|", true);
            n->rhs = expression(0);
            if (is_op(",")) {
                advance(true);
                n->third = expression(0);
            }
            expect("|", false);
            return n;
        }
        throw error("S0211", t.position, "The symbol \"" + s + "\" cannot be used as a unary operator", s);
    }

    void object_pairs(node& n) {
        if (!is_op("}")) {
            for (;;) {
                node_ptr key = expression(0);
                expect(":", true);
                node_ptr val = expression(0);
                n.pairs.emplace_back(key, val);
                if (!is_op(",")) break;
                advance(true);
            }
        }
        expect("}", false);
    }

    node_ptr lambda(const token& t) {
        auto n = make(node::kind::lambda, t);
        expect("(", true);
        if (!is_op(")")) {
            for (;;) {
                if (current_.type != token::kind::variable) {
                    throw error("S0208", current_.position, "Parameter " + describe(current_) + " of function definition must be a variable name (start with $)",
                                current_.text);
                }
                n->params.push_back(current_.text);
                advance(false);
                if (!is_op(",")) break;
                advance(true);
            }
        }
        expect(")", false);
        if (is_op("<")) {
            // A signature: read the raw text up to the matching '>'.
            std::string sig = "<";
            int depth = 1;
            advance(false);
            while (depth > 0) {
                if (current_.type == token::kind::end) throw error("S0203", current_.position, "Expected \">\" before end of expression");
                if (is_op("<")) ++depth;
                if (is_op(">")) --depth;
                sig += current_.text;
                if (depth > 0) advance(false);
            }
            advance(false);
            check_signature(sig, t.position);
            n->signature = sig;
        }
        expect("{", true);
        n->lhs = expression(0);
        expect("}", false);
        return n;
    }

    // Type parameters go on arrays and functions only, and never inside a choice group.
    static void check_signature(const std::string& sig, size_t position) {
        int group = 0;
        for (size_t i = 1; i < sig.size(); ++i) {
            char c = sig[i];
            if (c == '(') ++group;
            if (c == ')') --group;
            if (c != '<') continue;
            if (group > 0) throw error("S0402", position, "Choice groups containing parameterized types are not supported");
            if (sig[i - 1] != 'a' && sig[i - 1] != 'f') {
                throw error("S0401", position, "Type parameters can only be applied to functions and arrays");
            }
        }
    }

    node_ptr binary(const token& t, node_ptr left, int power) {
        auto n = make(node::kind::binary, t);
        n->lhs = std::move(left);
        n->rhs = expression(power);
        return n;
    }

    node_ptr led(const token& t, node_ptr left) {
        const std::string& s = t.text;
        if (s == "(") {
            auto n = make(node::kind::call, t);
            n->lhs = left;
            bool partial = false;
            if (!is_op(")")) {
                for (;;) {
                    if (is_op("?")) {
                        token q = current_;
                        advance(false);
                        n->items.push_back(make(node::kind::placeholder, q));
                        partial = true;
                    } else {
                        n->items.push_back(expression(0));
                    }
                    if (!is_op(",")) break;
                    advance(true);
                }
            }
            expect(")", false);
            if (partial) n->type = node::kind::partial;
            return n;
        }
        if (s == "[") {
            if (is_op("]")) {
                advance(false);
                left->keep_array = true;
                return left;
            }
            auto n = make(node::kind::filter, t);
            n->lhs = left;
            n->rhs = expression(0);
            expect("]", false);
            return n;
        }
        if (s == "{") {
            auto n = make(node::kind::group_by, t);
            n->lhs = left;
            object_pairs(*n);
            return n;
        }
        if (s == "^") {
            auto n = make(node::kind::sort, t);
            n->lhs = left;
            expect("(", true);
            for (;;) {
                sort_term term;
                if (is_op("<")) {
                    advance(true);
                } else if (is_op(">")) {
                    term.descending = true;
                    advance(true);
                }
                term.expression = expression(0);
                n->terms.push_back(term);
                if (!is_op(",")) break;
                advance(true);
            }
            expect(")", false);
            return n;
        }
        if (s == "?") {
            auto n = make(node::kind::condition, t);
            n->lhs = left;
            n->rhs = expression(0);
            if (is_op(":")) {
                advance(true);
                n->third = expression(0);
            }
            return n;
        }
        if (s == ":=") {
            if (left->type != node::kind::variable) {
                throw error("S0212", left->position, "The left side of := must be a variable name (start with $)", left->text);
            }
            auto n = make(node::kind::bind, t);
            n->lhs = left;
            n->rhs = expression(lbp(t) - 1);  // right associative
            return n;
        }
        if (s == "@" || s == "#") {
            node_ptr right = expression(lbp(t));
            if (right->type != node::kind::variable) {
                throw error("S0214", right->position, "The right side of " + s + " must be a variable name (start with $)", s);
            }
            auto n = make(s == "@" ? node::kind::focus_bind : node::kind::index_bind, t);
            n->lhs = left;
            n->text = right->text;
            return n;
        }
        if (s == "~>") {
            auto n = make(node::kind::apply, t);
            n->lhs = left;
            n->rhs = expression(lbp(t));
            return n;
        }
        if (binding_powers().count(s) && lbp(t) > 0) return binary(t, left, lbp(t));
        throw error("S0201", t.position, "Syntax error: \"" + s + "\"", s);
    }

    lexer lex_;
    token current_;
};

// Turns the raw tree into paths of steps with their stages, bindings and groups.
class assembler {
public:
    node_ptr run(const node_ptr& n) {
        node_ptr tree = process(n);
        // A % with no step above it to name its parent.
        if (!slots_of(tree).empty()) {
            throw error("S0217", tree->position, "The object representing the 'parent' cannot be derived from this expression");
        }
        return tree;
    }

private:
    static node_ptr as_path(node_ptr n) {
        if (n->type == node::kind::path) return n;
        auto p = std::make_shared<node>(node::kind::path, n->position);
        p->items.push_back(std::move(n));
        return p;
    }

    static node_ptr last_step(const node_ptr& n) { return n->type == node::kind::path ? n->items.back() : n; }

    node_ptr process(const node_ptr& n) {
        node_ptr result;
        switch (n->type) {
            case node::kind::binary:
                if (n->text == ".") {
                    result = process_dot(n);
                } else {
                    result = n;
                    n->lhs = process(n->lhs);
                    n->rhs = process(n->rhs);
                    push_ancestry(n, n->lhs);
                    push_ancestry(n, n->rhs);
                }
                break;
            case node::kind::filter: {
                result = process(n->lhs);
                node_ptr step = last_step(result);
                if (step->group) throw error("S0209", n->position, "A predicate cannot follow a grouping expression in a step");
                node_ptr predicate = process(n->rhs);
                // A % in the predicate, one level up, is the step's own input.
                for (const auto& slot : slots_of(predicate)) {
                    if (slot->level == 1) {
                        seek_parent(step, slot);
                    } else {
                        --slot->level;
                    }
                }
                push_ancestry(step, predicate);
                if (result->type == node::kind::path) {
                    step->stages.push_back({stage::kind::filter, predicate, {}});
                } else {
                    step->predicates.push_back(predicate);
                }
                break;
            }
            case node::kind::group_by: {
                result = process(n->lhs);
                if (result->group) throw error("S0210", n->position, "Each step can only have one grouping expression");
                auto group = std::make_shared<node>(node::kind::object, n->position);
                for (auto& [key, val] : n->pairs) group->pairs.emplace_back(process(key), process(val));
                result->group = group;
                break;
            }
            case node::kind::sort: {
                result = as_path(process(n->lhs));
                auto sort = std::make_shared<node>(node::kind::sort, n->position);
                for (auto& term : n->terms) {
                    sort->terms.push_back({process(term.expression), term.descending});
                    push_ancestry(sort, sort->terms.back().expression);
                }
                result->items.push_back(sort);
                resolve_ancestry(result);
                break;
            }
            case node::kind::focus_bind: {
                result = process(n->lhs);
                node_ptr step = last_step(result);
                if (!step->stages.empty() || !step->predicates.empty()) {
                    throw error("S0215", n->position, "A context variable binding must precede any predicates on a step");
                }
                if (step->type == node::kind::sort) {
                    throw error("S0216", n->position, "A context variable binding must precede the 'order-by' clause on a step");
                }
                if (n->keep_array) step->keep_array = true;
                step->focus = n->text;
                step->tuple = true;
                break;
            }
            case node::kind::index_bind: {
                result = process(n->lhs);
                node_ptr step = last_step(result);
                if (result->type != node::kind::path) {
                    result = as_path(result);
                    if (!step->predicates.empty()) {
                        for (auto& p : step->predicates) step->stages.push_back({stage::kind::filter, p, {}});
                        step->predicates.clear();
                    }
                }
                if (step->stages.empty()) {
                    step->index = n->text;
                } else {
                    step->stages.push_back({stage::kind::index, nullptr, n->text});
                }
                step->tuple = true;
                break;
            }
            case node::kind::apply:
            case node::kind::bind:
                result = n;
                n->lhs = process(n->lhs);
                n->rhs = process(n->rhs);
                if (n->type == node::kind::apply) n->keep_array = n->lhs->keep_array || n->rhs->keep_array;
                if (n->type == node::kind::bind) push_ancestry(n, n->rhs);
                break;
            case node::kind::negate:
                n->lhs = process(n->lhs);
                if (n->lhs->type == node::kind::number) {
                    result = n->lhs;
                    result->number = -result->number;
                } else {
                    result = n;
                    push_ancestry(n, n->lhs);
                }
                break;
            case node::kind::array:
            case node::kind::block:
                result = n;
                for (auto& item : n->items) {
                    item = process(item);
                    push_ancestry(n, item);
                    if (n->type == node::kind::block &&
                        (item->consarray || (item->type == node::kind::path && item->items[0]->consarray))) {
                        n->consarray = true;
                    }
                }
                if (n->type == node::kind::block) {
                    for (const auto& item : n->items) n->binds = n->binds || binds_here(item);
                }
                break;
            case node::kind::object:
                result = n;
                for (auto& [key, val] : n->pairs) {
                    key = process(key);
                    push_ancestry(n, key);
                    val = process(val);
                    push_ancestry(n, val);
                }
                break;
            case node::kind::call:
            case node::kind::partial:
                result = n;
                for (auto& item : n->items) {
                    item = process(item);
                    push_ancestry(n, item);
                }
                n->lhs = process(n->lhs);
                break;
            case node::kind::lambda:
                result = n;
                n->lhs = process(n->lhs);
                // A body that ends in a call is run as a loop rather than a recursion (tail calls).
                if (is_plain_call(n->lhs)) n->lhs->thunk = true;
                if (n->lhs->type == node::kind::condition) mark_tail_calls(n->lhs);
                break;
            case node::kind::condition:
                result = n;
                n->lhs = process(n->lhs);
                push_ancestry(n, n->lhs);
                n->rhs = process(n->rhs);
                push_ancestry(n, n->rhs);
                if (n->third) {
                    n->third = process(n->third);
                    push_ancestry(n, n->third);
                }
                break;
            case node::kind::transform:
                result = n;
                n->lhs = process(n->lhs);
                n->rhs = process(n->rhs);
                if (n->third) n->third = process(n->third);
                break;
            case node::kind::name:
                result = as_path(n);
                if (n->keep_array) result->keep_singleton_array = true;
                break;
            case node::kind::parent:
                result = n;
                n->slot = std::make_shared<parent_slot>();
                n->slot->label = "!" + std::to_string(next_label_++);
                break;
            default:
                result = n;
        }
        if (n->keep_array) result->keep_array = true;
        return result;
    }

    // Does evaluating `n` bind a variable in the current frame? Lambdas and blocks have frames of
    // their own, so what they bind does not count.
    static bool binds_here(const node_ptr& n) {
        if (!n) return false;
        if (n->type == node::kind::bind) return true;
        if (n->type == node::kind::lambda || n->type == node::kind::block) return false;
        if (binds_here(n->lhs) || binds_here(n->rhs) || binds_here(n->third)) return true;
        for (const auto& item : n->items) {
            if (binds_here(item)) return true;
        }
        for (const auto& [k, v] : n->pairs) {
            if (binds_here(k) || binds_here(v)) return true;
        }
        for (const auto& s : n->stages) {
            if (binds_here(s.expression)) return true;
        }
        for (const auto& p : n->predicates) {
            if (binds_here(p)) return true;
        }
        return false;
    }

    // A call whose value is the result as it is: no predicate, grouping or [] after it.
    static bool is_plain_call(const node_ptr& n) {
        return n->type == node::kind::call && n->predicates.empty() && !n->group && !n->keep_array;
    }

    static void mark_tail_calls(const node_ptr& condition) {
        for (const node_ptr& branch : {condition->rhs, condition->third}) {
            if (!branch) continue;
            if (is_plain_call(branch)) branch->thunk = true;
            if (branch->type == node::kind::condition) mark_tail_calls(branch);
        }
    }

    // The parent slots an expression still seeks: its own % or those inside it.
    static std::vector<std::shared_ptr<parent_slot>> slots_of(const node_ptr& n) {
        std::vector<std::shared_ptr<parent_slot>> slots = n->seeking_parent;
        if (n->type == node::kind::parent) slots.push_back(n->slot);
        return slots;
    }

    // `value`, part of `result`, seeks parents: so does `result`.
    static void push_ancestry(const node_ptr& result, const node_ptr& value) {
        for (auto& slot : slots_of(value)) result->seeking_parent.push_back(slot);
    }

    // Walks back from `n` towards the step whose input the slot reads, one step per level.
    static void seek_parent(const node_ptr& n, const std::shared_ptr<parent_slot>& slot) {
        switch (n->type) {
            case node::kind::name:
            case node::kind::wildcard:
                if (--slot->level == 0) {
                    n->ancestor_labels.push_back(slot->label);
                    n->tuple = true;
                }
                break;
            case node::kind::parent:
                ++slot->level;
                break;
            case node::kind::block:
                if (!n->items.empty()) {
                    n->tuple = true;
                    seek_parent(n->items.back(), slot);
                }
                break;
            case node::kind::path: {
                n->tuple = true;
                size_t index = n->items.size();
                seek_parent(n->items[--index], slot);
                while (slot->level > 0 && index > 0) seek_parent(n->items[--index], slot);
                break;
            }
            default:
                throw error("S0217", n->position, "The object representing the 'parent' cannot be derived from this expression");
        }
    }

    // Ties the parent slots the path's last step seeks to earlier steps; those that reach past the
    // first step are left for an enclosing path.
    static void resolve_ancestry(const node_ptr& path) {
        const auto& steps = path->items;
        for (const auto& slot : slots_of(steps.back())) {
            size_t index = steps.size() - 1;  // steps before it
            while (slot->level > 0) {
                if (index == 0) {
                    path->seeking_parent.push_back(slot);
                    break;
                }
                node_ptr step = steps[--index];
                // Contiguous steps that bind the focus count as one.
                while (index > 0 && !step->focus.empty() && !steps[index - 1]->focus.empty()) step = steps[--index];
                seek_parent(step, slot);
            }
        }
    }

    node_ptr process_dot(const node_ptr& n) {
        node_ptr left = process(n->lhs);
        node_ptr result = as_path(left);
        if (left->type == node::kind::parent) result->seeking_parent = {left->slot};
        node_ptr rest = process(n->rhs);
        if (rest->type == node::kind::path) {
            for (auto& step : rest->items) result->items.push_back(step);
        } else {
            if (!rest->predicates.empty()) {
                for (auto& p : rest->predicates) rest->stages.push_back({stage::kind::filter, p, {}});
                rest->predicates.clear();
            }
            result->items.push_back(rest);
        }
        for (auto& step : result->items) {
            if (step->type == node::kind::number || step->type == node::kind::literal) {
                throw error("S0213", step->position, "The literal value " + step->text + " cannot be used as a step within a path expression",
                            step->text);
            }
            if (step->type == node::kind::string) step->type = node::kind::name;
            if (step->keep_array) result->keep_singleton_array = true;
        }
        if (result->items.front()->type == node::kind::array) result->items.front()->consarray = true;
        if (result->items.back()->type == node::kind::array) result->items.back()->consarray = true;
        resolve_ancestry(result);
        return result;
    }

    int next_label_ = 0;
};

}  // namespace

node_ptr parse(const std::string& expression) {
    pratt parser(expression);
    node_ptr tree = parser.parse_all();
    return assembler().run(tree);
}

}  // namespace ferry::mapping::jsonata
