// The business objects the emulator serves. Each takes the decoded XML strings of one call and
// returns the output document, or throws bo_exception for what SYSPRO reports as an e.net
// exception (an "ERROR: ..." text body): bad query input, unparsable XML, an unknown BO.
#pragma once

#include "syspro/state.hpp"

#include <stdexcept>
#include <string>

namespace ferry::sandbox::syspro {

struct bo_exception : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct bo_call {
    std::string business_object;  // upper case
    std::string xml_in;
    std::string xml_parameters;
    std::string operator_code;
};

// Query/Query: INVQRY, SORQRY, ARSQRY, COMFND.
std::string run_query(company_data& data, const settings& s, const bo_call& call);
// Query/Fetch (COMFCH) and Query/Browse (COMBRW).
std::string run_fetch(company_data& data, const settings& s, const std::string& xml_in);
std::string run_browse(company_data& data, const settings& s, const std::string& xml_in);
// Transaction/Post: SORTOI, SORTDN, SORTIC, SORTOS, SORTBO, SORTOX, ARSTPY.
std::string run_transaction(company_data& data, const settings& s, const bo_call& call);
// Setup/Add, Setup/Update, Setup/Delete: ARSSCS. `action` is "add", "update" or "delete".
std::string run_setup(company_data& data, const settings& s, const std::string& action, const bo_call& call);

// SORTOI on its own (sortoi.cpp); run_transaction dispatches to it.
std::string run_sortoi(company_data& data, const settings& s, const bo_call& call);

// Helpers shared by the BO files.
pugi::xml_document parse_xml(const std::string& text, const std::string& what);
// Throws bo_exception naming the first child element of `node` not in `allowed`.
void expect_children(const pugi::xml_node& node, std::initializer_list<std::string_view> allowed, const settings& s);
std::string child_text(const pugi::xml_node& node, const char* name);
bool yes(const pugi::xml_node& node, const char* name, bool otherwise = false);

}  // namespace ferry::sandbox::syspro
