// The SYSPRO connector's pieces that need no server: decimals, SYSPRO's text and XML quirks.
#include "customers.hpp"
#include "decimal.hpp"
#include "enet.hpp"
#include "xml.hpp"

#include <gtest/gtest.h>

namespace {

using namespace ferry::syspro;

TEST(syspro_connector_units, decimals_parse_exactly_and_round_half_away_from_zero) {
    EXPECT_EQ(decimal::parse("19.99")->format(2), "19.99");
    EXPECT_EQ(decimal::parse("-3.5")->format(0), "-4");
    EXPECT_EQ(decimal::parse("0.125")->format(2), "0.13");
    EXPECT_EQ(decimal::parse("10")->divided_by(3).format(5), "3.33333");
    EXPECT_EQ((*decimal::parse("29.99") - decimal::parse("10")->divided_by(3)).format(2), "26.66");
    EXPECT_EQ(decimal::parse("100")->times(*decimal::parse("0.2")).format(2), "20.00");
    EXPECT_FALSE(decimal::parse("1e5"));
    EXPECT_FALSE(decimal::parse("0.1234567"));  // beyond millionths
    EXPECT_FALSE(decimal::parse(""));
    EXPECT_FALSE(decimal::parse("12.3.4"));
}

TEST(syspro_connector_units, windows_1252_bodies_become_utf8) {
    std::string body = "<?xml version=\"1.0\" encoding=\"Windows-1252\"?><X>Caf\xE9 \x80" "5 \x93q\x94</X>";
    EXPECT_EQ(to_utf8(body), "<?xml version=\"1.0\" encoding=\"Windows-1252\"?><X>Caf\xC3\xA9 \xE2\x82\xAC" "5 \xE2\x80\x9Cq\xE2\x80\x9D</X>");
    EXPECT_EQ(to_utf8("already \xC3\xA9 utf-8"), "already \xC3\xA9 utf-8");
}

TEST(syspro_connector_units, plain_answers_are_read_bare_json_quoted_or_string_wrapped) {
    EXPECT_EQ(plain_text("3EA613166FE4BF47925DF1CEA14E910100  "), "3EA613166FE4BF47925DF1CEA14E910100");
    EXPECT_EQ(plain_text("\"3EA613166FE4BF47925DF1CEA14E910100  \""), "3EA613166FE4BF47925DF1CEA14E910100");
    EXPECT_EQ(plain_text("<string xmlns=\"http://schemas.microsoft.com/2003/10/Serialization/\">ERROR: a &amp; b</string>"),
              "ERROR: a & b");
}

TEST(syspro_connector_units, session_errors_are_told_apart_from_business_errors) {
    EXPECT_TRUE(is_session_error("ERROR: The UserId is not logged on or the session has expired"));
    EXPECT_FALSE(is_session_error("ERROR: e.net exception raised: 100000"));
    EXPECT_FALSE(is_session_error("ERROR: Stock code 'X' not found"));
}

TEST(syspro_connector_units, errors_are_found_wherever_they_sit_with_their_numbers) {
    pugi::xml_document doc;
    parse_answer(doc,
                 "<SalesOrders><Orders><OrderDetails><StockLine><StockCode>NOPE</StockCode>"
                 "<ErrorNumber>240004</ErrorNumber><ErrorDescription>Stock code 'NOPE' not found</ErrorDescription>"
                 "</StockLine></OrderDetails></Orders><ValidationStatus><Status>Failed</Status></ValidationStatus></SalesOrders>",
                 "SORTOI");
    std::vector<enet_message> errors = errors_in(doc);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].number, "240004");
    EXPECT_EQ(errors[0].section, "StockLine");
    EXPECT_EQ(describe(errors), "240004 Stock code 'NOPE' not found (in StockLine)");
    EXPECT_EQ(text_of(child(doc.document_element(), "ValidationStatus"), "Status"), "Failed");
}

TEST(syspro_connector_units, padded_numbers_and_prefixed_names_are_read) {
    pugi::xml_document doc;
    parse_answer(doc, "<InvQuery xmlns:X='X'><X:QtyOnHand>          747.800000</X:QtyOnHand></InvQuery>", "INVQRY");
    EXPECT_DOUBLE_EQ(number_of(doc.document_element(), "QtyOnHand"), 747.8);
    pugi::xml_document bad;
    EXPECT_THROW(parse_answer(bad, "<Unclosed>", "INVQRY"), ferry::sdk::retry_error);
}

TEST(syspro_connector_units, customer_codes_derive_from_the_email_and_fit_seven_characters) {
    std::string code = customer_code_for("Ada@Example.com", "W");
    EXPECT_EQ(code.size(), 7u);
    EXPECT_EQ(code[0], 'W');
    EXPECT_EQ(code, customer_code_for("ada@example.com", "W"));  // case-blind, so a retry finds it
    EXPECT_NE(code, customer_code_for("bob@example.com", "W"));
}

}  // namespace
