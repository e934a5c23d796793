// The syntax tree of a JSONata expression, after the parser has turned `a.b[c]{d}` chains into
// paths of steps with their predicates, bindings and grouping.
#pragma once

#include "jsonata/value.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace ferry::mapping::jsonata {

// A JSONata error: its code (S0201, T2001, D3030, ...), where it happened and what it says.
class error : public std::runtime_error {
public:
    error(std::string code, size_t position, const std::string& message, std::string token = {})
        : std::runtime_error(code + " at " + std::to_string(position) + ": " + message),
          code_(std::move(code)), position_(position), token_(std::move(token)), message_(message) {}
    const std::string& code() const { return code_; }
    size_t position() const { return position_; }  // byte offset in the expression
    const std::string& token() const { return token_; }
    const std::string& message() const { return message_; }

private:
    std::string code_;
    size_t position_;
    std::string token_;
    std::string message_;
};

struct node;
using node_ptr = std::shared_ptr<node>;

struct sort_term {
    node_ptr expression;
    bool descending = false;
};

struct stage {
    enum class kind { filter, index } what = kind::filter;
    node_ptr expression;  // filter
    std::string variable;  // index
};

// What a parent operator (%) reads: the input of the step `level` steps up from where it stands,
// bound in the tuple stream under `label` by the step it resolves to.
struct parent_slot {
    std::string label;
    int level = 1;
};

struct node {
    enum class kind {
        path, name, string, number, literal, regex, variable, wildcard, descendant, parent,
        binary, negate, array, object, block, condition, call, partial, placeholder, lambda,
        bind, apply, transform, sort, focus_bind, index_bind, filter, group_by
    };
    kind type;
    size_t position = 0;
    std::string text;  // name, operator, string value, variable name, regex source
    double number = 0;
    value literal;     // true, false, null

    node_ptr lhs, rhs;                  // binary, bind, apply; condition: lhs ? rhs : third
    node_ptr third;
    std::vector<node_ptr> items;        // path steps, array items, block expressions, call arguments
    std::vector<std::pair<node_ptr, node_ptr>> pairs;  // object constructor / group-by
    std::vector<sort_term> terms;       // sort
    std::vector<std::string> params;    // lambda
    std::string signature;              // lambda
    bool thunk = false;                 // lambda: a tail call wrapped for trampolining
    bool binds = false;                 // block: binds a variable of its own (needs its own frame)

    // Step annotations.
    std::vector<stage> stages;            // predicates and index bindings, in order
    std::vector<node_ptr> predicates;     // on a non-step expression
    std::shared_ptr<node> group;          // {..} grouping
    std::string focus;                    // @$x
    std::string index;                    // #$i
    bool tuple = false;                   // evaluated as a tuple stream
    bool keep_array = false;              // a[] : keep a singleton array
    bool keep_singleton_array = false;    // on a path
    bool consarray = false;               // an array constructor as the first step
    std::vector<std::string> ancestor_labels;  // parent operator slots this step binds to its input
    std::shared_ptr<parent_slot> slot;         // parent (%): the ancestor it reads
    std::vector<std::shared_ptr<parent_slot>> seeking_parent;  // % inside, not yet tied to a step

    node(kind t, size_t pos) : type(t), position(pos) {}
};

// Parses an expression. Throws error with an S0xxx code on a syntax error.
node_ptr parse(const std::string& expression);

}  // namespace ferry::mapping::jsonata
