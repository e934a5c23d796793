// One problem found in a document, with where it is and what to do about it.
#pragma once

#include <cstddef>
#include <string>

namespace ferry::host {

struct diagnostic {
    std::string file;
    size_t line = 0;    // 1-based; 0 when unknown
    size_t column = 0;  // 1-based, in bytes
    std::string pointer;  // JSON pointer of the value concerned
    std::string message;
    std::string hint;

    // "file:line:column: pointer: message (hint: ...)"
    std::string format() const;
};

}  // namespace ferry::host
