// SORTOI against reference section 6 and the business rules of 4.4.
#include "syspro_test_client.hpp"

namespace ferry::sandbox::syspro::test {

namespace {

class syspro_sortoi : public syspro_base {
protected:
    std::string header(const std::string& po, const std::string& customer = "WEBS01", const std::string& more = {}) {
        return "<CustomerPoNumber>" + po + "</CustomerPoNumber><Customer>" + customer + "</Customer>" + more;
    }
    // Imports and returns the output document.
    std::string import(const std::string& hdr, const std::vector<line>& lines, const std::string& more_params = {}) {
        return post("SORTOI", order_params("Import", more_params), order_doc(hdr, lines));
    }
    std::string validate(const std::string& hdr, const std::vector<line>& lines, const std::string& more_params = {}) {
        return post("SORTOI", order_params("Validate", more_params), order_doc(hdr, lines));
    }
    size_t order_count() { return control("GET", "orders").as_array().size(); }
};

}  // namespace

TEST_F(syspro_sortoi, validate_returns_the_short_echo_and_creates_nothing) {
    std::string out = validate(header("#1001", "WEBS01", "<OrderType>W</OrderType>"), {{"A100", "2"}});
    EXPECT_EQ(out.rfind("<?xml version=\"1.0\" encoding=\"Windows-1252\"?>\n<SalesOrders Language='05'", 0), 0u);
    EXPECT_NE(out.find("<Orders>\n<OrderHeader>\n<CustomerPoNumber>#1001</CustomerPoNumber>\n<OrderActionType>A</OrderActionType>\n"
                       "<SalesOrder/>\n<OrderType>W</OrderType>\n</OrderHeader>\n</Orders>\n<ValidationStatus>\n<Status>Successful</Status>\n"
                       "</ValidationStatus>\n<StatusOfItems>\n<ItemsProcessed>000001</ItemsProcessed>\n<ItemsInvalid>000000</ItemsInvalid>\n"
                       "</StatusOfItems>\n</SalesOrders>\n "),
              std::string::npos)
        << out;
    EXPECT_EQ(order_count(), 0u);
}

TEST_F(syspro_sortoi, errors_of_an_empty_section_are_kept_inside_it) {
    std::string out = post("SORTOI", order_params("Validate"), "<SalesOrders><Orders><OrderHeader/></Orders></SalesOrders>");
    EXPECT_NE(out.find("<Orders>\n<OrderHeader>\n<ErrorDescription>Customer is required</ErrorDescription>\n"
                       "<ErrorDescription>Customer purchase order number is required</ErrorDescription>\n</OrderHeader>\n</Orders>"),
              std::string::npos)
        << out;
}

TEST_F(syspro_sortoi, process_is_accepted_in_any_case) {
    EXPECT_EQ(xml_value(post("SORTOI", order_params("VALIDATE"), order_doc(header("#A"), {{"A100", "1"}})), "Status"), "Successful");
    EXPECT_EQ(xml_value(post("SORTOI", order_params("import"), order_doc(header("#B"), {{"A100", "1"}})), "ItemsProcessed"), "000001");
    EXPECT_EQ(xml_value(post("SORTOI", order_params("IMPORT"), order_doc(header("#C"), {{"A100", "1"}})), "ItemsProcessed"), "000001");
    EXPECT_EQ(order_count(), 2u);
}

TEST_F(syspro_sortoi, clean_import_has_no_order_block_by_default) {
    std::string out = import(header("#1002"), {{"A100", "2"}});
    EXPECT_EQ(out.find("<Order>"), std::string::npos) << out;
    EXPECT_NE(out.find("<StatusOfItems>\n<ItemsProcessed>000001</ItemsProcessed>\n<ItemsRejectedWithWarnings>000000</ItemsRejectedWithWarnings>\n"
                       "<ItemsProcessedWithWarnings>000000</ItemsProcessedWithWarnings>\n</StatusOfItems>"),
              std::string::npos)
        << out;
    auto orders = control("GET", "orders");
    ASSERT_EQ(orders.as_array().size(), 1u);
    EXPECT_EQ(orders.as_array()[0].at("sales_order").as_string(), "000001");
    EXPECT_EQ(orders.as_array()[0].at("status").as_string(), "1");
    EXPECT_EQ(orders.as_array()[0].at("last_operator").as_string(), "WEB");
}

TEST_F(syspro_sortoi, clean_import_returns_the_order_block_when_switched_on) {
    settings(R"({"clean_import_returns_order": true})");
    std::string out = import(header("#1003"), {{"A100", "2"}});
    EXPECT_NE(out.find("<Order>\n<CustomerPoNumber>#1003</CustomerPoNumber>\n<OrderActionType>A</OrderActionType>\n<SalesOrder>000001</SalesOrder>\n</Order>"),
              std::string::npos)
        << out;
}

TEST_F(syspro_sortoi, order_numbers_follow_the_configured_format) {
    control("POST", "seed", R"({"next_sales_order": 15562})");
    settings(R"({"clean_import_returns_order": true})");
    EXPECT_EQ(xml_value(import(header("#N1"), {{"A100", "1"}}), "SalesOrder"), "015562");
    settings(R"({"order_number_prefix": "16R", "order_number_width": 6})");
    control("POST", "seed", R"({"next_sales_order": 69})");
    EXPECT_EQ(xml_value(import(header("#N2"), {{"A100", "1"}}), "SalesOrder"), "16R069");
}

TEST_F(syspro_sortoi, unknown_stock_code_rejects_with_240004_at_the_end_of_the_stock_line) {
    std::string out = validate(header("#E1"), {{"NOPE", "1"}});
    EXPECT_EQ(xml_value(out, "Status"), "Failed");
    EXPECT_EQ(xml_value(out, "ItemsInvalid"), "000001");
    EXPECT_NE(out.find("<PriceUom>EA</PriceUom>\n<ErrorNumber>240004</ErrorNumber>\n<ErrorDescription>Stock code 'NOPE' not found</ErrorDescription>\n</StockLine>"),
              std::string::npos)
        << out;
    out = import(header("#E1"), {{"NOPE", "1"}});
    EXPECT_NE(out.find("<Order>\n<CustomerPoNumber>#E1</CustomerPoNumber>\n<OrderActionType>A</OrderActionType>\n<SalesOrder/>\n<ErrorNumber>240004</ErrorNumber>"),
              std::string::npos)
        << out;
    EXPECT_EQ(xml_value(out, "ItemsRejectedWithWarnings"), "000001");
    EXPECT_EQ(xml_value(out, "ItemsProcessed"), "000000");
    EXPECT_EQ(order_count(), 0u);
}

TEST_F(syspro_sortoi, non_stocked_lines_only_when_allowed) {
    std::string out = import(header("#NS"), {{"NOPE", "1"}}, "<AllowNonStockItems>Y</AllowNonStockItems>");
    EXPECT_EQ(xml_value(out, "ItemsProcessed"), "000001") << out;
    auto order = control("GET", "orders").as_array()[0];
    EXPECT_TRUE(order.at("lines").as_array()[0].at("non_stocked").as_bool());
}

TEST_F(syspro_sortoi, stock_item_on_hold_is_rejected) {
    std::string out = import(header("#E2"), {{"B200", "1"}});
    EXPECT_EQ(xml_value(out, "ErrorDescription"), "Stock code 'B200' is on hold");
}

TEST_F(syspro_sortoi, customer_on_hold_is_rejected_or_warned) {
    EXPECT_EQ(xml_value(import(header("#H1", "HOLD01"), {{"A100", "1"}}), "ErrorDescription"), "Customer 'HOLD01' is on hold");
    // Y makes it a warning; IgnoreWarnings N (the default) still counts it as an error.
    EXPECT_EQ(xml_value(import(header("#H1", "HOLD01"), {{"A100", "1"}}, "<WarnIfCustomerOnHold>Y</WarnIfCustomerOnHold>"), "ItemsRejectedWithWarnings"),
              "000001");
    std::string out = import(header("#H1", "HOLD01"), {{"A100", "1"}}, "<WarnIfCustomerOnHold>Y</WarnIfCustomerOnHold><IgnoreWarnings>W</IgnoreWarnings>");
    EXPECT_EQ(xml_value(out, "WarningDescription"), "Customer 'HOLD01' is on hold") << out;
    EXPECT_EQ(xml_value(out, "SalesOrder"), "000001");
    EXPECT_EQ(xml_value(out, "ItemsProcessedWithWarnings"), "000001");
    out = import(header("#H2", "HOLD01"), {{"A100", "1"}}, "<WarnIfCustomerOnHold>Y</WarnIfCustomerOnHold><IgnoreWarnings>Y</IgnoreWarnings>");
    EXPECT_EQ(out.find("<Order>"), std::string::npos) << out;
    EXPECT_EQ(order_count(), 2u);
}

TEST_F(syspro_sortoi, warning_element_names_are_a_switch) {
    settings(R"({"warning_description_element": "WarningMessage"})");
    std::string out = import(header("#H3", "HOLD01"), {{"A100", "1"}}, "<WarnIfCustomerOnHold>Y</WarnIfCustomerOnHold><IgnoreWarnings>W</IgnoreWarnings>");
    EXPECT_EQ(xml_value(out, "WarningMessage"), "Customer 'HOLD01' is on hold") << out;
}

TEST_F(syspro_sortoi, credit_limit_uses_the_callers_message_or_accepts_when_asked) {
    // CRED01 may owe 100; 10 x 12.50 is 125.
    EXPECT_EQ(xml_value(import(header("#C1", "CRED01"), {{"A100", "10"}}), "ErrorDescription"), "Customer 'CRED01' has exceeded credit limit");
    EXPECT_EQ(xml_value(import(header("#C1", "CRED01"), {{"A100", "10"}}, "<CreditFailMessage>Credit check failed - call us</CreditFailMessage>"),
                        "ErrorDescription"),
              "Credit check failed - call us");
    EXPECT_EQ(xml_value(import(header("#C1", "CRED01"), {{"A100", "10"}}, "<AcceptOrdersIfNoCredit>Y</AcceptOrdersIfNoCredit>"), "ItemsProcessed"), "000001");
    // Open orders count against the limit too.
    EXPECT_EQ(xml_value(import(header("#C2", "CRED01"), {{"A100", "1"}}), "ErrorDescription"), "Customer 'CRED01' has exceeded credit limit");
    settings(R"({"messages": {"credit_limit": "Account {} is over its limit"}})");
    EXPECT_EQ(xml_value(import(header("#C3", "CRED01"), {{"A100", "1"}}), "ErrorDescription"), "Account CRED01 is over its limit");
}

TEST_F(syspro_sortoi, duplicate_customer_po_follows_allow_duplicate_order_numbers) {
    import(header("#D1"), {{"A100", "1"}});
    EXPECT_EQ(xml_value(import(header("#D1"), {{"A100", "1"}}), "ErrorDescription"), "Customer purchase order number '#D1' already exists");
    EXPECT_EQ(xml_value(import(header("#D1"), {{"A100", "1"}}, "<AllowDuplicateOrderNumbers>N</AllowDuplicateOrderNumbers>"), "ItemsRejectedWithWarnings"),
              "000001");
    std::string out = import(header("#D1"), {{"A100", "1"}}, "<AllowDuplicateOrderNumbers>Y</AllowDuplicateOrderNumbers><IgnoreWarnings>W</IgnoreWarnings>");
    EXPECT_EQ(xml_value(out, "WarningDescription"), "Customer purchase order number '#D1' already exists");
    EXPECT_EQ(xml_value(import(header("#D1"), {{"A100", "1"}}, "<AllowDuplicateOrderNumbers>A</AllowDuplicateOrderNumbers>"), "ItemsProcessed"), "000001");
    EXPECT_EQ(order_count(), 3u);
}

TEST_F(syspro_sortoi, missing_customer_po_is_rejected_unless_not_checked) {
    EXPECT_EQ(xml_value(import(header(""), {{"A100", "1"}}), "ErrorDescription"), "Customer purchase order number is required");
    EXPECT_EQ(xml_value(import(header(""), {{"A100", "1"}}, "<CheckForCustomerPoNumbers>N</CheckForCustomerPoNumbers>"), "ItemsProcessed"), "000001");
}

TEST_F(syspro_sortoi, invalid_warehouse_is_rejected) {
    EXPECT_EQ(xml_value(import(header("#W1"), {{"A100", "1", "12.50", "<Warehouse>ZZ</Warehouse>"}}), "ErrorDescription"), "Warehouse 'ZZ' not found");
    EXPECT_EQ(xml_value(import(header("#W2", "WEBS01", "<Warehouse>QQ</Warehouse>"), {{"A100", "1"}}), "ErrorDescription"), "Warehouse 'QQ' not found");
    EXPECT_EQ(xml_value(import(header("#W3"), {{"A100", "1", "12.50", "<Warehouse>P0</Warehouse>"}}), "ErrorDescription"),
              "Stock code 'A100' is not stocked in warehouse 'P0'");
}

TEST_F(syspro_sortoi, field_lengths_are_enforced) {
    std::string out = validate(header(std::string(31, 'P')), {{"A100", "1"}});
    EXPECT_EQ(xml_value(out, "ErrorDescription"), "XML element 'CustomerPoNumber' is longer than 30 characters");
    out = validate(header("#L2", "WEBS01", "<ShipAddress1>" + std::string(41, 'a') + "</ShipAddress1>"), {{"A100", "1"}});
    EXPECT_EQ(xml_value(out, "ErrorDescription"), "XML element 'ShipAddress1' is longer than 40 characters");
    EXPECT_EQ(xml_value(validate(header("#L3", "WEBS01", "<ShipAddress1>" + std::string(40, 'a') + "</ShipAddress1>"), {{"A100", "1"}}), "Status"), "Successful");
    // Characters count, not UTF-8 bytes: 40 e-acutes (80 bytes) fit.
    std::string accents;
    for (int i = 0; i < 40; ++i) accents += "\xC3\xA9";
    EXPECT_EQ(xml_value(validate(header("#L4", "WEBS01", "<ShipAddress1>" + accents + "</ShipAddress1>"), {{"A100", "1"}}), "Status"), "Successful");
    // The header's errors come at the end of the OrderHeader echo.
    EXPECT_NE(out.find("</ErrorDescription>\n</OrderHeader>"), std::string::npos) << out;
}

TEST_F(syspro_sortoi, numbers_with_too_many_places_are_not_numeric) {
    std::string out = import(header("#P1"), {{"A100", "1", "12.123456"}});
    EXPECT_EQ(xml_value(out, "ErrorNumber"), "100031");
    EXPECT_EQ(xml_value(out, "ErrorDescription"), "XML element 'Price' must be numeric");
    EXPECT_EQ(xml_value(import(header("#P2"), {{"A100", "1.1234567"}}), "ErrorDescription"), "XML element 'OrderQty' must be numeric");
    EXPECT_EQ(xml_value(import(header("#P3"), {{"A100", "two"}}), "ErrorDescription"), "XML element 'OrderQty' must be numeric");
    EXPECT_EQ(xml_value(import(header("#P4"), {{"A100", "1.000000", "12.12345"}}), "ItemsProcessed"), "000001");
}

TEST_F(syspro_sortoi, unknown_parameters_are_ignored_and_unknown_document_elements_are_a_switch) {
    std::string params = "<ValidateOnly>N</ValidateOnly><ApplyIfEntireDocumentValid>Y</ApplyIfEntireDocumentValid>";
    std::string hdr = header("#U1", "WEBS01", "<ShippingInstrsCod>UPS</ShippingInstrsCod>");
    EXPECT_EQ(xml_value(import(hdr, {{"A100", "1"}}, params), "ItemsProcessed"), "000001");
    settings(R"({"unknown_document_elements": "error"})");
    EXPECT_EQ(xml_value(import(header("#U2", "WEBS01", "<ShippingInstrsCod>UPS</ShippingInstrsCod>"), {{"A100", "1"}}, params), "ErrorDescription"),
              "XML element 'ShippingInstrsCod' is not valid in 'OrderHeader'");
}

TEST_F(syspro_sortoi, allocation_actions_move_stock_between_allocated_and_back_order) {
    // A100 at WEBS: 10 on hand.
    std::string f = import_order("#F", {{"A100", "12"}});  // F (default): not all available, so all back-ordered
    auto line = control("GET", "orders/" + f).at("lines").as_array()[0];
    EXPECT_EQ(line.at("ship_qty").as_double(), 0);
    EXPECT_EQ(line.at("back_order_qty").as_double(), 12);
    std::string a = import_order("#A", {{"A100", "12"}}, "<AllocationAction>A</AllocationAction>");
    line = control("GET", "orders/" + a).at("lines").as_array()[0];
    EXPECT_EQ(line.at("ship_qty").as_double(), 10);
    EXPECT_EQ(line.at("back_order_qty").as_double(), 2);
    std::string b = import_order("#B", {{"A100", "1", "12.50", "<AllocationAction>B</AllocationAction>"}}, "<AllocationAction>A</AllocationAction>");
    line = control("GET", "orders/" + b).at("lines").as_array()[0];
    EXPECT_EQ(line.at("back_order_qty").as_double(), 1);
    auto stock = control("GET", "stock/A100").at("warehouses").at("WEBS");
    EXPECT_EQ(stock.at("allocated").as_double(), 10);
    EXPECT_EQ(stock.at("back_order").as_double(), 15);
    EXPECT_EQ(stock.at("available").as_double(), 0);
}

TEST_F(syspro_sortoi, allocation_default_and_code_set_are_switches) {
    settings(R"({"allocation_default": "A"})");
    std::string a = import_order("#DA", {{"A100", "12"}});
    EXPECT_EQ(control("GET", "orders/" + a).at("lines").as_array()[0].at("ship_qty").as_double(), 10);
    settings(R"({"allocation_codes": "SRB", "allocation_default": "B"})");
    std::string b = import_order("#DB", {{"C300", "5"}});
    EXPECT_EQ(control("GET", "orders/" + b).at("lines").as_array()[0].at("back_order_qty").as_double(), 5);
    std::string ship = import_order("#DC", {{"C300", "5"}}, "<AllocationAction>S</AllocationAction>");
    EXPECT_EQ(control("GET", "orders/" + ship).at("lines").as_array()[0].at("ship_qty").as_double(), 5);
    EXPECT_EQ(post("SORTOI", order_params("Import", "<AllocationAction>F</AllocationAction>"), order_doc(header("#DD"), {{"C300", "1"}})),
              "ERROR: Value 'F' is not valid for XML element 'AllocationAction'");
}

TEST_F(syspro_sortoi, change_and_cancel_through_sortoi) {
    std::string number = import_order("#CH", {{"A100", "2"}});
    std::string change = "<SalesOrders><Orders><OrderHeader><CustomerPoNumber>#CH</CustomerPoNumber><OrderActionType>C</OrderActionType>"
                         "<SalesOrder>" + number + "</SalesOrder><ShipAddress1>New street 1</ShipAddress1></OrderHeader><OrderDetails>"
                         "<StockLine><CustomerPoLine>1</CustomerPoLine><LineActionType>C</LineActionType><OrderQty>5</OrderQty></StockLine>"
                         "<StockLine><CustomerPoLine>2</CustomerPoLine><LineActionType>A</LineActionType><StockCode>C300</StockCode>"
                         "<OrderQty>1</OrderQty><OrderUom>EA</OrderUom></StockLine></OrderDetails></Orders></SalesOrders>";
    EXPECT_EQ(xml_value(post("SORTOI", order_params("Import"), change), "ItemsProcessed"), "000001");
    auto order = control("GET", "orders/" + number);
    EXPECT_EQ(order.at("ship_address").as_array()[0].as_string(), "New street 1");
    EXPECT_EQ(order.at("lines").as_array().size(), 2u);
    EXPECT_EQ(order.at("lines").as_array()[0].at("ship_qty").as_double(), 5);
    EXPECT_EQ(control("GET", "stock/A100").at("warehouses").at("WEBS").at("allocated").as_double(), 5);
    std::string cancel = "<SalesOrders><Orders><OrderHeader><CustomerPoNumber>#CH</CustomerPoNumber><OrderActionType>D</OrderActionType>"
                         "</OrderHeader></Orders></SalesOrders>";
    EXPECT_EQ(xml_value(post("SORTOI", order_params("Import"), cancel), "ItemsProcessed"), "000001");
    EXPECT_EQ(control("GET", "orders/" + number).at("status").as_string(), "\\");
    EXPECT_EQ(control("GET", "stock/A100").at("warehouses").at("WEBS").at("allocated").as_double(), 0);
}

}  // namespace ferry::sandbox::syspro::test
