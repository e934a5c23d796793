// Query BOs (INVQRY, SORQRY, ARSQRY, COMFND) and COMFCH / COMBRW against reference 7, 8, 9.2, 11.
#include "syspro_test_client.hpp"

namespace ferry::sandbox::syspro::test {

namespace {

class syspro_queries : public syspro_base {
protected:
    std::string comfnd(const std::string& table, const std::string& columns, const std::string& where, const std::string& more = {}) {
        return query("COMFND", "<Query><TableName>" + table + "</TableName><Columns>" + columns + "</Columns><Where>" + where + "</Where>" + more +
                                   "</Query>");
    }
    static std::string expr(const std::string& column, const std::string& condition, const std::string& value, const std::string& and_or = "And",
                            const std::string& open = {}, const std::string& close = {}) {
        return "<Expression><OpenBracket>" + open + "</OpenBracket><AndOr>" + and_or + "</AndOr><Column>" + column + "</Column><Condition>" + condition +
               "</Condition><Value>" + value + "</Value><CloseBracket>" + close + "</CloseBracket></Expression>";
    }
};

}  // namespace

TEST_F(syspro_queries, invqry_shows_allocation_by_sales_orders) {
    import_order("#S1", {{"A100", "4"}});
    std::string out = invqry("A100", "<Filter><Warehouse FilterType=\"L\" FilterValue=\"WEBS\"/></Filter>");
    EXPECT_EQ(count_of(out, "<WarehouseItem>"), 1);
    EXPECT_NE(out.find("<QtyOnHand>           10.000000</QtyOnHand>"), std::string::npos) << out;
    EXPECT_NE(out.find("<QtyAllocated>            4.000000</QtyAllocated>\n<Edited_QtyAllocated>4.000</Edited_QtyAllocated>"), std::string::npos);
    EXPECT_NE(out.find("<AvailableQty>            6.000000</AvailableQty>"), std::string::npos);
    EXPECT_NE(out.find("<FutureFree>           11.000000</FutureFree>"), std::string::npos);
    import_order("#S2", {{"A100", "9"}}, "<AllocationAction>B</AllocationAction>");
    out = invqry("A100", "<Filter><Warehouse FilterType=\"L\" FilterValue=\"WEBS\"/></Filter>");
    EXPECT_NE(out.find("<QtyOnBackOrder>            9.000000</QtyOnBackOrder>"), std::string::npos) << out;
}

TEST_F(syspro_queries, query_documents_as_the_recorded_client_sends_them) {
    // Prolog, schema attributes and indentation, as in the VCR recording of INVQRY.
    std::string xml = "<?xml version=\"1.0\" encoding=\"Windows-1252\"?>\n<Query xmlns:xsd=\"http://www.w3.org/2000/10/XMLSchema-instance\" "
                      "xsd:noNamespaceSchemaLocation=\"INVQRY.XSD\">\n  \n  <Key>\n    <StockCode>A100</StockCode>\n  </Key>\n  <Option>\n"
                      "    <MultiMediaImageType>GIF</MultiMediaImageType>\n    <IncludeHistory>N</IncludeHistory>\n    <XslStylesheet></XslStylesheet>\n"
                      "  </Option>\n  <Filter>\n    <Warehouse FilterType=\"L\" FilterValue=\"FG\"/>\n  </Filter>\n</Query>";
    std::string out = query("INVQRY", xml);
    EXPECT_EQ(count_of(out, "<WarehouseItem>"), 1) << out;
    EXPECT_EQ(xml_value(out, "WarehouseItem/Warehouse"), "FG");
}

TEST_F(syspro_queries, invqry_filters_warehouses_and_omits_unstocked_ones) {
    EXPECT_EQ(count_of(invqry("A100"), "<WarehouseItem>"), 2);
    EXPECT_EQ(count_of(invqry("A100", "<Filter><Warehouse FilterType=\"L\" FilterValue=\"WEBS,FG\"/></Filter>"), "<WarehouseItem>"), 2);
    EXPECT_EQ(count_of(invqry("A100", "<Filter><Warehouse FilterType=\"R\" FilterValue=\"A,G\"/></Filter>"), "<WarehouseItem>"), 1);
    std::string out = invqry("A100", "<Filter><Warehouse FilterType=\"L\" FilterValue=\"P0\"/></Filter>");
    EXPECT_EQ(count_of(out, "<WarehouseItem>"), 0);
    EXPECT_EQ(xml_value(out, "StockCode"), "A100");
}

TEST_F(syspro_queries, query_bos_raise_exceptions_for_bad_input) {
    EXPECT_EQ(invqry("ZZZ"), "ERROR: Stock code 'ZZZ' not found");
    EXPECT_EQ(query("INVQRY", "<Query><Key><StockCode>A100</StockCode></Key><Option><Bogus>Y</Bogus></Option></Query>"),
              "ERROR: XML element 'Bogus' is not valid in 'Option'");
    EXPECT_EQ(query("INVQRY", "<Query><Key>").rfind("ERROR: XmlIn is not valid XML", 0), 0u);
    settings(R"({"query_exception_format": "ERROR: e.net exception: {}"})");
    EXPECT_EQ(invqry("ZZZ"), "ERROR: e.net exception: Stock code 'ZZZ' not found");
    EXPECT_EQ(query("PORQRY", "<Query/>").rfind("ERROR: ", 0), 0u);
}

TEST_F(syspro_queries, available_quantity_formula_is_a_switch) {
    std::string out = invqry("C300");
    EXPECT_NE(out.find("<AvailableQty>          100.000000</AvailableQty>"), std::string::npos) << out;
    settings(R"({"available_qty_formula": "on_hand_minus_allocated_and_inspection"})");
    out = invqry("C300");
    EXPECT_NE(out.find("<AvailableQty>           96.000000</AvailableQty>"), std::string::npos) << out;
}

TEST_F(syspro_queries, sorqry_header_and_lines) {
    post("SORTOI", order_params("Import"),
         order_doc("<CustomerPoNumber>#Q1</CustomerPoNumber><Customer>WEBS01</Customer><ShippingInstrs>UPS Ground</ShippingInstrs>"
                                        "<ShippingInstrsCode>UPS</ShippingInstrsCode><Email>a@b.c</Email>",
                                        {{"A100", "2"}}, "<FreightLine><CustomerPoLine>2</CustomerPoLine><FreightValue>4.95</FreightValue></FreightLine>"));
    std::string out = sorqry("000001");
    EXPECT_NE(out.find("<SorDetail Language='05' Language2='EN' CssStyle='' DecFormat='1' DateFormat='01' Role='01' Version='8.0.161' "
                       "OperatorPrimaryRole='   '   xmlns:SALARE=\"SALARE\" xmlns:SALSLS=\"SALSLS\""),
              std::string::npos)
        << out;
    EXPECT_EQ(xml_value(out, "SalesOrder"), "000001");
    EXPECT_EQ(xml_value(out, "OrderStatus"), "1");
    EXPECT_EQ(xml_value(out, "CustomerPoNumber"), "#Q1");
    EXPECT_EQ(xml_value(out, "ShippingInstrs"), "UPS Ground");
    EXPECT_EQ(xml_value(out, "ShippingInstrsCod"), "UPS");
    EXPECT_EQ(xml_value(out, "NumDispatches"), "0");
    EXPECT_EQ(xml_value(out, "MStockCode"), "A100");
    EXPECT_NE(out.find("<MOrderQty>            2.000000</MOrderQty>"), std::string::npos);
    EXPECT_EQ(count_of(out, "<Freight>"), 0) << "freight only when asked for";
    out = sorqry("15", "<IncludeStockedLines>N</IncludeStockedLines><IncludeFreightLines>Y</IncludeFreightLines>");
    EXPECT_EQ(out.rfind("ERROR: Sales order '15' not found", 0), 0u) << out;
    out = sorqry("1", "<IncludeStockedLines>N</IncludeStockedLines><IncludeFreightLines>Y</IncludeFreightLines>");
    EXPECT_EQ(count_of(out, "<Merchandise>"), 0);
    EXPECT_EQ(count_of(out, "<Freight>"), 1) << out;
}

TEST_F(syspro_queries, sorqry_finds_an_order_by_its_invoice) {
    std::string order = import_order("#INV", {{"A100", "1"}});
    auto o = control("POST", "orders/" + order + "/invoice", "{}");
    std::string invoice(o.at("invoices").as_array()[0].at("invoice").as_string());
    std::string out = query("SORQRY", "<Query><Key><Invoice>" + invoice + "</Invoice></Key></Query>");
    EXPECT_EQ(xml_value(out, "SalesOrder"), order) << out;
    EXPECT_EQ(xml_value(out, "LastInvoice"), invoice);
    EXPECT_EQ(query("SORQRY", "<Query><Key><Invoice>999999</Invoice></Key></Query>"), "ERROR: Invoice '999999' not found");
}

TEST_F(syspro_queries, comfnd_finds_sales_orders_by_customer_po) {
    import_order("#BBQ1010", {{"A100", "1"}});
    import_order("#BBQ1011", {{"A100", "1"}});
    std::string out = comfnd("SorMaster", "<Column>SalesOrder</Column><Column>OrderStatus</Column>", expr("CustomerPoNumber", "EQ", "#BBQ1011"),
                             "<OrderBy><Column>SalesOrder</Column></OrderBy>");
    EXPECT_EQ(out.rfind("<?xml version=\"1.0\" encoding=\"Windows-1252\"?>\n<SorMaster Language='05'", 0), 0u) << out;
    EXPECT_NE(out.find("<HeaderDetails>\n<TableName>SorMaster</TableName>\n<Columns>\n<Column>SalesOrder</Column>\n<Column>OrderStatus</Column>\n"
                       "</Columns>\n<OrderBy>\n<Column>SalesOrder</Column>\n</OrderBy>\n</HeaderDetails>\n<Row>\n<SalesOrder>000002</SalesOrder>\n"
                       "<OrderStatus>1</OrderStatus>\n</Row>\n<RowsReturned>       1</RowsReturned>\n</SorMaster>\n "),
              std::string::npos)
        << out;
    out = comfnd("SorMaster", "<Column>SalesOrder</Column>", expr("CustomerPoNumber", "EQ", "#NONE"));
    EXPECT_NE(out.find("<RowsReturned>       0</RowsReturned>"), std::string::npos);
}

TEST_F(syspro_queries, comfnd_on_customers_and_stock_with_brackets_and_like) {
    std::string out = comfnd("ArCustomer", "<Column>Customer</Column>", expr("Email", "EQ", "shop@example.com"));
    EXPECT_EQ(xml_value(out, "Row/Customer"), "WEBS01") << out;
    out = comfnd("ArCustomer", "<Column>Customer</Column>", expr("Customer", "EQ", "CRED01", "And", "(") + expr("Customer", "EQ", "HOLD01", "Or", "", ")") +
                                                                 expr("CustomerOnHold", "EQ", "Y", "And"));
    EXPECT_EQ(count_of(out, "<Row>"), 1) << out;
    EXPECT_EQ(xml_value(out, "Row/Customer"), "HOLD01");
    out = comfnd("InvMaster", "<Column>StockCode</Column><Column>Description</Column>", expr("StockCode", "EQ", "A100"));
    EXPECT_EQ(xml_value(out, "Row/Description"), "Widget");
    out = comfnd("InvMaster", "<Column>StockCode</Column>", expr("Description", "LIKE", "%g%"));
    EXPECT_EQ(count_of(out, "<Row>"), 3) << out;
    out = comfnd("InvWarehouse", "<Column>QtyOnHand</Column>", expr("StockCode", "EQ", "A100") + expr("Warehouse", "EQ", "FG"));
    EXPECT_NE(out.find("<QtyOnHand>          747.800000</QtyOnHand>"), std::string::npos) << out;
}

TEST_F(syspro_queries, comfnd_refuses_what_it_does_not_model) {
    EXPECT_EQ(comfnd("SorMaster", "<Column>SalesOrder</Column>", expr("CustomerPoNumber", "IN", "#A")),
              "ERROR: Condition 'IN' is not supported by the ferry sandbox (supported: EQ, NE, LT, LE, GT, GE, LIKE)");
    EXPECT_EQ(comfnd("SorMaster", "<Column>Nope</Column>", ""), "ERROR: Column 'Nope' not found in table 'SorMaster'");
    EXPECT_EQ(comfnd("GenMaster", "", "").rfind("ERROR: Table 'GenMaster' is not available", 0), 0u);
}

TEST_F(syspro_queries, comfch_fetches_a_row_by_key) {
    std::string out = get("Query/Fetch", {{"UserId", user_id_},
                                          {"XmlIn", "<Fetch><TableName>InvMaster</TableName><Key>A100</Key><FullKeyProvided>Y</FullKeyProvided>"
                                                    "<DefaultType/><EspressoFetch>N</EspressoFetch></Fetch>"}})
                          .body;
    EXPECT_EQ(out.rfind("<?xml version=\"1.0\" encoding=\"Windows-1252\"?>\n<InvMaster ", 0), 0u) << out;
    EXPECT_NE(out.find("'>\n<StockCode>A100</StockCode>\n<Description>Widget</Description>\n"), std::string::npos) << out;
    out = get("Query/Fetch", {{"UserId", user_id_}, {"XmlIn", "<Fetch><TableName>ArCustomer</TableName><Key>NOBODY</Key></Fetch>"}}).body;
    EXPECT_EQ(out, "ERROR: Key 'NOBODY' not found in table 'ArCustomer'");
}

TEST_F(syspro_queries, combrw_browses_rows_as_value_and_data_type_pairs) {
    std::string out = get("Query/Browse", {{"UserId", user_id_},
                                           {"XmlIn", "<Browse><BrowseName>InvMaster</BrowseName><StartAtKey/><StartCondition/><ReturnRows>2</ReturnRows></Browse>"}})
                          .body;
    EXPECT_NE(out.find("<Title>Stock Codes</Title>\n<Row>\n<StockCode>\n<Value>A100</Value>\n<DataType>AlphaNumeric</DataType>\n</StockCode>"),
              std::string::npos)
        << out;
    EXPECT_EQ(count_of(out, "<Row>"), 2);
    EXPECT_EQ(xml_value(out, "Fwd"), "True");
    EXPECT_EQ(xml_value(out, "NextKey"), "B200");
}

TEST_F(syspro_queries, arsqry_reports_the_customer_and_open_orders) {
    import_order("#AR1", {{"A100", "2"}});
    std::string out = query("ARSQRY", "<Query><Key><Customer>WEBS01</Customer></Key><Option><IncludeZeroBalances>N</IncludeZeroBalances></Option></Query>");
    EXPECT_NE(out.find("?>\n<ARStatement Language='05'"), std::string::npos) << out;
    EXPECT_EQ(xml_value(out, "Header/Name"), "Web sales");
    EXPECT_EQ(xml_value(out, "Header/CustomerOnHold"), "N");
    EXPECT_NE(out.find("<OutstOrdVal>           25.00</OutstOrdVal>\n<Edited_OutstOrdVal>25.00</Edited_OutstOrdVal>"), std::string::npos) << out;
    EXPECT_EQ(query("ARSQRY", "<Query><Key><Customer>NOPE</Customer></Key></Query>"), "ERROR: Customer 'NOPE' not found");
}

}  // namespace ferry::sandbox::syspro::test
