// Orders after entry (dispatch, invoice, status, back orders, cancel), customers (ARSSCS),
// payments (ARSTPY) and the control routes, against reference sections 8-10 and 13.
#include "syspro_test_client.hpp"

#include <atomic>
#include <thread>

namespace ferry::sandbox::syspro::test {

namespace {

class syspro_flow : public syspro_base {
protected:
    std::string status_of(const std::string& order) { return xml_value(sorqry(order), "OrderStatus"); }
};
class syspro_customers : public syspro_base {};
class syspro_payments : public syspro_base {};
class syspro_control : public syspro_base {};

const std::string dispatch_params = "<PostDispatchNotes><Parameters><ValidateOnly>N</ValidateOnly></Parameters></PostDispatchNotes>";

std::string dispatch_doc(const std::string& order, const std::string& details, const std::string& header_more = {}) {
    return "<PostDispatchNotes><DispatchNote><DispatchHeader><SalesOrder>" + order + "</SalesOrder>" + header_more +
           "</DispatchHeader><DispatchDetails>" + details + "</DispatchDetails></DispatchNote></PostDispatchNotes>";
}

std::string item_doc(const std::string& root, const std::string& item) { return "<" + root + "><Item>" + item + "</Item></" + root + ">"; }

}  // namespace

TEST_F(syspro_flow, dispatch_then_invoice_moves_the_order_from_1_to_4_to_8_to_9) {
    std::string order = import_order("#FL1", {{"A100", "4"}});
    ASSERT_EQ(order, "000001");
    EXPECT_EQ(status_of(order), "1");

    std::string out = post("SORTDN", dispatch_params,
                           dispatch_doc(order, "<MerchandiseLine><SalesOrderLine>1</SalesOrderLine><DispatchQty>4</DispatchQty></MerchandiseLine>",
                                        "<ShippingInstrs>UPS</ShippingInstrs><UserDefined1>1Z999AA10123456784</UserDefined1>"));
    EXPECT_NE(out.find("<Item>\n<Key>\n<SalesOrder>000001</SalesOrder>\n<DispatchNote>000001/0001</DispatchNote>\n</Key>\n<ItemNumber>000001</ItemNumber>\n</Item>"),
              std::string::npos)
        << out;
    EXPECT_EQ(xml_value(out, "ItemsInvalid"), "000000");
    std::string sor = sorqry(order);
    EXPECT_EQ(xml_value(sor, "OrderStatus"), "4");
    EXPECT_EQ(xml_value(sor, "LastDelNote"), "000001/0001");
    EXPECT_EQ(xml_value(sor, "NumDispatches"), "1");
    EXPECT_EQ(xml_value(sor, "ShippingInstrs"), "UPS");
    std::string inv = invqry("A100", "<Filter><Warehouse FilterType=\"L\" FilterValue=\"WEBS\"/></Filter>");
    EXPECT_NE(inv.find("<QtyOnHand>            6.000000</QtyOnHand>"), std::string::npos) << inv;
    EXPECT_NE(inv.find("<QtyAllocated>            0.000000</QtyAllocated>"), std::string::npos);
    EXPECT_NE(inv.find("<QuantityDispatchNotInvoiced>            4.000000</QuantityDispatchNotInvoiced>"), std::string::npos);

    // The tracking number is read from the dispatch note (sandbox/syspro.md, "Dispatch tracking").
    std::string notes = query("COMFND", "<Query><TableName>MdnMaster</TableName><Columns><Column>DispatchNote</Column><Column>ShippingInstrs</Column>"
                                        "<Column>UserDefined1</Column></Columns><Where><Expression><Column>SalesOrder</Column><Condition>EQ</Condition>"
                                        "<Value>000001</Value></Expression></Where></Query>");
    EXPECT_EQ(xml_value(notes, "Row/UserDefined1"), "1Z999AA10123456784") << notes;
    EXPECT_EQ(xml_value(notes, "Row/ShippingInstrs"), "UPS");

    out = post("SORTOS", "", item_doc("PostSorOrderStatus", "<SalesOrder>000001</SalesOrder><NewOrderStatus>8</NewOrderStatus>"));
    EXPECT_EQ(xml_value(out, "ItemsInvalid"), "000000") << out;
    EXPECT_EQ(status_of(order), "8");

    out = post("SORTIC", "<PostSalesOrderInvoice><Parameters><InvoiceDate>2026-11-20</InvoiceDate></Parameters></PostSalesOrderInvoice>",
               item_doc("PostSalesOrderInvoice", "<SalesOrder>000001</SalesOrder>"));
    EXPECT_EQ(xml_value(out, "Key/Invoice"), "000001") << out;
    sor = sorqry(order);
    EXPECT_EQ(xml_value(sor, "OrderStatus"), "9");
    EXPECT_EQ(xml_value(sor, "OrderStatusDesc"), "Complete");
    EXPECT_EQ(xml_value(sor, "LastInvoice"), "000001");
    EXPECT_EQ(xml_value(sor, "DateLastInvPrt"), "2026-11-20");
    inv = invqry("A100", "<Filter><Warehouse FilterType=\"L\" FilterValue=\"WEBS\"/></Filter>");
    EXPECT_NE(inv.find("<QuantityDispatchNotInvoiced>            0.000000</QuantityDispatchNotInvoiced>"), std::string::npos) << inv;
    EXPECT_EQ(control("GET", "customers/WEBS01").at("balance").as_double(), 50);
}

TEST_F(syspro_flow, dispatch_and_invoice_refuse_what_cannot_be_done) {
    std::string order = import_order("#FL2", {{"A100", "20"}});  // all back-ordered (F)
    std::string out = post("SORTDN", dispatch_params, dispatch_doc(order, ""));
    EXPECT_EQ(xml_value(out, "ErrorDescription"), "Sales order '000001' has no quantity to dispatch") << out;
    out = post("SORTDN", dispatch_params,
               dispatch_doc(order, "<MerchandiseLine><SalesOrderLine>1</SalesOrderLine><DispatchQty>1</DispatchQty></MerchandiseLine>"));
    EXPECT_EQ(xml_value(out, "ErrorDescription"), "Dispatch quantity for line '1' exceeds the ship quantity");
    out = post("SORTIC", "", item_doc("PostSalesOrderInvoice", "<SalesOrder>000001</SalesOrder>"));
    EXPECT_EQ(xml_value(out, "ErrorDescription"), "Sales order '000001' has nothing to invoice");
    out = post("SORTIC", "", item_doc("PostSalesOrderInvoice", "<SalesOrder>999</SalesOrder>"));
    EXPECT_EQ(xml_value(out, "ErrorDescription"), "Sales order '999' not found");
    EXPECT_EQ(xml_value(out, "ItemsInvalid"), "000001");
}

TEST_F(syspro_flow, back_order_release_then_partial_dispatch) {
    std::string order = import_order("#FL3", {{"A100", "12"}});  // F: 12 > 10, all back-ordered
    std::string out = post("SORTBO", "", item_doc("PostSorBackOrderRelease", "<SalesOrder>" + order +
                                                                               "</SalesOrder><SalesOrderLine>1</SalesOrderLine><Quantity>8</Quantity>"
                                                                               "<OrderStatus>3</OrderStatus>"));
    EXPECT_EQ(xml_value(out, "ItemsInvalid"), "000000") << out;
    EXPECT_EQ(status_of(order), "3");
    out = post("SORTBO", "", item_doc("PostSorBackOrderRelease", "<SalesOrder>" + order +
                                                                   "</SalesOrder><SalesOrderLine>1</SalesOrderLine><Quantity>4</Quantity><OrderStatus>N</OrderStatus>"));
    EXPECT_EQ(xml_value(out, "ErrorDescription"), "Insufficient stock available for stock code 'A100'") << out;
    post("SORTDN", dispatch_params, dispatch_doc(order, ""));
    auto o = control("GET", "orders/" + order);
    EXPECT_EQ(o.at("lines").as_array()[0].at("dispatched_qty").as_double(), 8);
    EXPECT_EQ(o.at("lines").as_array()[0].at("back_order_qty").as_double(), 4);
    post("SORTIC", "", item_doc("PostSalesOrderInvoice", "<SalesOrder>" + order + "</SalesOrder>"));
    EXPECT_EQ(status_of(order), "2") << "back orders remain open";
}

TEST_F(syspro_flow, cancel_releases_the_allocation) {
    std::string order = import_order("#FL4", {{"A100", "3"}, {"C300", "2"}});
    EXPECT_EQ(control("GET", "stock/A100").at("warehouses").at("WEBS").at("allocated").as_double(), 3);
    std::string out = post("SORTOX", "", item_doc("PostSalesOrderCancel", "<SalesOrder>" + order + "</SalesOrder><SalesOrderLine>2</SalesOrderLine>"));
    EXPECT_EQ(xml_value(out, "ItemsInvalid"), "000000") << out;
    EXPECT_EQ(control("GET", "stock/C300").at("warehouses").at("WEBS").at("allocated").as_double(), 0);
    EXPECT_EQ(status_of(order), "1");
    post("SORTOX", "", item_doc("PostSalesOrderCancel", "<SalesOrder>" + order + "</SalesOrder>"));
    EXPECT_EQ(status_of(order), "\\");
    EXPECT_EQ(xml_value(sorqry(order), "OrderStatusDesc"), "Cancelled");
    EXPECT_EQ(control("GET", "stock/A100").at("warehouses").at("WEBS").at("allocated").as_double(), 0);
    out = post("SORTOX", "", item_doc("PostSalesOrderCancel", "<SalesOrder>" + order + "</SalesOrder>"));
    EXPECT_EQ(xml_value(out, "ErrorDescription"), "Sales order '000001' with status '\\' cannot be maintained");
    // A cancelled order's PO may be used again.
    EXPECT_FALSE(import_order("#FL4", {{"A100", "1"}}).empty());
}

TEST_F(syspro_flow, validate_only_changes_nothing) {
    std::string order = import_order("#FL5", {{"A100", "1"}});
    std::string out = post("SORTDN", "<PostDispatchNotes><Parameters><ValidateOnly>Y</ValidateOnly></Parameters></PostDispatchNotes>", dispatch_doc(order, ""));
    EXPECT_EQ(xml_value(out, "ItemsInvalid"), "000000");
    EXPECT_EQ(status_of(order), "1");
}

TEST_F(syspro_control, dispatch_and_invoice_through_the_control_api) {
    std::string order = import_order("#CT1", {{"A100", "3"}, {"C300", "2"}});
    auto o = control("POST", "orders/" + order + "/dispatch",
                     R"({"carrier": "DHL", "tracking_number": "JD0001", "lines": [{"line": 1, "qty": 2}], "date": "2026-11-21"})");
    ASSERT_EQ(o.at("dispatches").as_array().size(), 1u);
    EXPECT_EQ(o.at("dispatches").as_array()[0].at("tracking_number").as_string(), "JD0001");
    EXPECT_EQ(o.at("dispatches").as_array()[0].at("dispatch_note").as_string(), "000001/0001");
    EXPECT_EQ(o.at("status").as_string(), "4");
    control("POST", "orders/" + order + "/dispatch", R"({"carrier": "DHL", "tracking_number": "JD0002"})");
    control("POST", "orders/" + order + "/dispatch", R"({})", 409);
    o = control("POST", "orders/" + order + "/invoice", R"({"date": "2026-11-22"})");
    EXPECT_EQ(o.at("status").as_string(), "9");
    EXPECT_EQ(o.at("invoices").as_array()[0].at("value").as_double(), 62.5);  // 5 x 12.50, the price entered on the lines
    std::string sor = sorqry(order);
    EXPECT_EQ(xml_value(sor, "NumDispatches"), "2");
    EXPECT_EQ(xml_value(sor, "LastDelNote"), "000001/0002");
    std::string notes = query("COMFND", "<Query><TableName>MdnMaster</TableName><Columns><Column>UserDefined1</Column></Columns>"
                                        "<Where><Expression><Column>SalesOrder</Column><Condition>EQ</Condition><Value>" + order +
                                        "</Value></Expression></Where><OrderBy><Column>DispatchNote</Column></OrderBy></Query>");
    EXPECT_NE(notes.find("<UserDefined1>JD0001</UserDefined1>\n</Row>\n<Row>\n<UserDefined1>JD0002</UserDefined1>"), std::string::npos) << notes;
    control("POST", "orders/" + order + "/invoice", "{}", 409);
    control("GET", "orders/nope", "", 404);
}

TEST_F(syspro_control, settings_are_read_and_validated) {
    auto s = control("GET", "settings");
    EXPECT_EQ(s.at("text_framing").as_string(), "bare");
    EXPECT_TRUE(s.at("single_session_per_operator").as_bool());
    EXPECT_EQ(s.at("licence_seats").as_int64(), 1);
    EXPECT_FALSE(s.at("clean_import_returns_order").as_bool());
    EXPECT_EQ(s.at("allocation_default").as_string(), "F");
    EXPECT_EQ(s.at("version").as_string(), "8.0.161");
    EXPECT_EQ(s.at("unlicensed_message").as_string(), "ERROR: e.net exception raised: 100000");
    EXPECT_EQ(s.at("messages").at("stock_not_found").as_string(), "Stock code '{}' not found");
    auto bad = control("POST", "settings", R"({"no_such_switch": 1})", 400);
    EXPECT_EQ(bad.at("error").as_string(), "syspro: unknown setting 'no_such_switch'");
    control("POST", "settings", R"({"text_framing": "xml"})", 400);
    control("POST", "settings", R"({"allocation_default": "S"})", 400);  // not in FBA
    EXPECT_EQ(control("GET", "settings").at("text_framing").as_string(), "bare") << "a refused patch changes nothing";
}

TEST_F(syspro_control, seeding_reports_bad_fields_and_settings_travel_in_the_seed) {
    auto bad = control("POST", "seed", R"({"stock": [{"stock_code": "X", "warehouses": {"NOWHERE": {"on_hand": 1}}}]})", 400);
    EXPECT_EQ(bad.at("error").as_string(), "syspro seed: stock[X].warehouses.NOWHERE: warehouse 'NOWHERE' is not in 'warehouses'");
    control("POST", "seed", R"({"stock": [{"stock_code": "X", "colour": "red"}]})", 400);
    control("POST", "seed", R"({"settings": {"get_version": "7.0.0.6"}, "customers": [{"customer": "NEW1", "name": "New", "credit_limit": 500}]})");
    EXPECT_EQ(get("GetVersion").body, "7.0.0.6");
    auto c = control("GET", "customers/NEW1");
    EXPECT_EQ(c.at("credit_limit").as_double(), 500);
    EXPECT_EQ(control("GET", "customers").as_array().size(), 4u);
    EXPECT_EQ(control("GET", "stock").as_array().size(), 3u);
}

TEST_F(syspro_control, a_refused_seed_changes_nothing) {
    control("POST", "seed", R"({"customers": [{"customer": "OK1"}], "stock": [{"stock_code": "Y", "warehouses": {"NOWHERE": {}}}]})", 400);
    control("GET", "customers/OK1", "", 404);
}

TEST_F(syspro_control, concurrent_callers_share_one_consistent_state) {
    settings(R"({"licence_seats": 5, "single_session_per_operator": false})");  // the fixture holds one
    std::atomic<int> failures{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 4; ++t) {
        callers.emplace_back([&, t] {
            std::string id = logon("WEB", "secret").body;
            for (int i = 0; i < 10; ++i) {
                std::string po = "#T" + std::to_string(t) + "-" + std::to_string(i);
                std::string out = get("Transaction/Post", {{"UserId", id}, {"BusinessObject", "SORTOI"}, {"XmlParameters", order_params("Import")},
                                                           {"XmlIn", order_doc("<CustomerPoNumber>" + po + "</CustomerPoNumber><Customer>WEBS01</Customer>",
                                                                               {{"C300", "1"}})}})
                                      .body;
                if (xml_value(out, "ItemsProcessed") != "000001") ++failures;
            }
        });
    }
    for (auto& c : callers) c.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(control("GET", "orders").as_array().size(), 40u);
    EXPECT_EQ(control("GET", "stock/C300").at("warehouses").at("WEBS").at("allocated").as_double(), 40);
}

TEST_F(syspro_control, request_log_counts_calls_per_business_object) {
    invqry("A100");
    invqry("ZZZ");
    post("SORTOI", order_params("Import"), order_doc("<CustomerPoNumber>#RL</CustomerPoNumber><Customer>WEBS01</Customer>", {{"NOPE", "1"}}));
    auto r = control("GET", "requests");
    EXPECT_EQ(r.at("counters").at("INVQRY").at("calls").as_int64(), 2);
    EXPECT_EQ(r.at("counters").at("INVQRY").at("errors").as_int64(), 1);
    EXPECT_EQ(r.at("counters").at("SORTOI").at("rejected").as_int64(), 1);
    EXPECT_EQ(r.at("counters").at("Logon").at("ok").as_int64(), 1);
    EXPECT_EQ(r.at("requests").as_array().back().at("business_object").as_string(), "SORTOI");
    control("DELETE", "requests");
    EXPECT_TRUE(control("GET", "requests").at("counters").as_object().empty());
}

TEST_F(syspro_customers, arsscs_add_answers_in_lower_case_and_refuses_an_existing_customer) {
    std::string params = "<SetupArCustomer><Parameters><IgnoreWarnings>N</IgnoreWarnings><ValidateOnly>N</ValidateOnly></Parameters></SetupArCustomer>";
    std::string doc = "<SetupArCustomer><Item><Key><Customer>SHOP02</Customer></Key><Name>Jane Doe</Name><Email>jane@example.com</Email>"
                      "<CreditLimit>99999</CreditLimit><CustomerOnHold>N</CustomerOnHold></Item></SetupArCustomer>";
    std::string out = setup("Add", "ARSSCS", params, doc);
    EXPECT_NE(out.find("<setuparcustomer Language='05'"), std::string::npos) << out;
    EXPECT_NE(out.find("<item>\n<key>\n<customer>SHOP02</customer>\n</key>\n</item>\n<StatusOfItems>\n<RecordsRead>1</RecordsRead>\n"
                       "<RecordsInvalid>0</RecordsInvalid>\n</StatusOfItems>\n</setuparcustomer>\n "),
              std::string::npos)
        << out;
    out = setup("Add", "ARSSCS", params, doc);
    EXPECT_NE(out.find("<customer>\n<Value>SHOP02</Value>\n<ErrorDescription>Customer 'SHOP02' already exists</ErrorDescription>\n</customer>"),
              std::string::npos)
        << out;
    EXPECT_EQ(xml_value(out, "RecordsInvalid"), "1");
    out = setup("Update", "ARSSCS", params,
                "<SetupArCustomer><Item><Key><Customer>SHOP02</Customer></Key><Email>jane@new.example</Email></Item></SetupArCustomer>");
    EXPECT_EQ(xml_value(out, "RecordsInvalid"), "0");
    std::string found = query("COMFND", "<Query><TableName>ArCustomer</TableName><Columns><Column>Customer</Column><Column>Name</Column></Columns>"
                                        "<Where><Expression><Column>Email</Column><Condition>EQ</Condition><Value>jane@new.example</Value></Expression>"
                                        "</Where></Query>");
    EXPECT_EQ(xml_value(found, "Row/Name"), "Jane Doe") << found;
    out = setup("Update", "ARSSCS", params, "<SetupArCustomer><Item><Key><Customer>NOPE</Customer></Key></Item></SetupArCustomer>");
    EXPECT_EQ(xml_value(out, "ErrorDescription"), "Customer 'NOPE' not found");
}

TEST_F(syspro_customers, arsscs_delete_refuses_a_customer_with_orders) {
    import_order("#DEL", {{"A100", "1"}});
    std::string doc = "<SetupArCustomer><Item><Key><Customer>WEBS01</Customer></Key></Item></SetupArCustomer>";
    EXPECT_EQ(xml_value(setup("Delete", "ARSSCS", "", doc), "ErrorDescription"), "Customer 'WEBS01' has sales orders and cannot be deleted");
    doc = "<SetupArCustomer><Item><Key><Customer>HOLD01</Customer></Key></Item></SetupArCustomer>";
    EXPECT_EQ(xml_value(setup("Delete", "ARSSCS", "", doc), "RecordsInvalid"), "0");
    control("GET", "customers/HOLD01", "", 404);
}

TEST_F(syspro_customers, arsscs_checks_fields_and_empty_keys) {
    std::string out = setup("Add", "ARSSCS", "", "<SetupArCustomer><Item><Key><Customer>SHOP03</Customer></Key><Name>" + std::string(31, 'n') +
                                                     "</Name><CreditLimit>lots</CreditLimit></Item></SetupArCustomer>");
    EXPECT_NE(out.find("<name>\n<Value>"), std::string::npos) << out;
    EXPECT_NE(out.find("<creditlimit>\n<Value>lots</Value>\n<ErrorNumber>100031</ErrorNumber>\n<ErrorDescription>XML element 'creditlimit' must be numeric"
                       "</ErrorDescription>\n</creditlimit>"),
              std::string::npos)
        << out;
    std::string empty_key = "<SetupArCustomer><Item><Key><Customer></Customer></Key><Name>Auto</Name></Item></SetupArCustomer>";
    EXPECT_EQ(xml_value(setup("Add", "ARSSCS", "", empty_key), "ErrorDescription"), "XML element 'Customer' is required");
    settings(R"({"arsscs_empty_customer": "auto_number", "arsscs_root": "as_input"})");
    out = setup("Add", "ARSSCS", "", empty_key);
    EXPECT_NE(out.find("<SetupArCustomer Language='05'"), std::string::npos) << out;
    EXPECT_EQ(xml_value(out, "key/customer"), "0000001");
    EXPECT_EQ(control("GET", "customers/0000001").at("name").as_string(), "Auto");
}

TEST_F(syspro_payments, arstpy_posts_a_payment_against_an_invoice) {
    std::string order = import_order("#PY1", {{"A100", "2"}});
    auto o = control("POST", "orders/" + order + "/invoice", "{}");
    std::string invoice(o.at("invoices").as_array()[0].at("invoice").as_string());
    std::string params = "<PostArPayment><Parameters><PostingPeriod>C</PostingPeriod><IgnoreWarnings>N</IgnoreWarnings>"
                         "<ApplyIfEntireDocumentValid>Y</ApplyIfEntireDocumentValid><ValidateOnly>N</ValidateOnly></Parameters></PostArPayment>";
    std::string doc = "<PostArPayment><Item><Payment><Customer>WEBS01</Customer><PaymentValue>25.00</PaymentValue><Reference>SHOPIFY-1</Reference>"
                      "<PaymentDate>2026-11-23</PaymentDate><JournalNotation>Shopify payout</JournalNotation><PaymentType>O</PaymentType>"
                      "<InvoiceToPay><TransactionType>I</TransactionType><Invoice>" + invoice +
                      "</Invoice><GrossPaymentValue>25.00</GrossPaymentValue><DiscountValue>0</DiscountValue></InvoiceToPay></Payment></Item></PostArPayment>";
    std::string out = post("ARSTPY", params, doc);
    EXPECT_NE(out.find("<PostArPayment Language='05'"), std::string::npos) << out;
    EXPECT_EQ(xml_value(out, "Key/Customer"), "WEBS01");
    EXPECT_EQ(xml_value(out, "ItemsInvalid"), "000000");
    auto payments = control("GET", "payments");
    ASSERT_EQ(payments.as_array().size(), 1u);
    EXPECT_EQ(payments.as_array()[0].at("value").as_double(), 25);
    EXPECT_EQ(payments.as_array()[0].at("applied").as_array()[0].at("invoice").as_string(), invoice);
    EXPECT_EQ(control("GET", "customers/WEBS01").at("balance").as_double(), 0);
    // JournalNotation is mandatory.
    out = post("ARSTPY", params, "<PostArPayment><Item><Payment><Customer>WEBS01</Customer><PaymentValue>1.00</PaymentValue></Payment></Item></PostArPayment>");
    EXPECT_EQ(xml_value(out, "ErrorDescription"), "XML element 'JournalNotation' is required");
    EXPECT_EQ(control("GET", "payments").as_array().size(), 1u);
}

TEST_F(syspro_payments, arstpy_can_be_unlicensed) {
    settings(R"({"unlicensed": ["ARSTPY"]})");
    http_result r = get("Transaction/Post", {{"UserId", user_id_}, {"BusinessObject", "ARSTPY"}, {"XmlParameters", ""}, {"XmlIn", "<PostArPayment/>"}});
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "ERROR: e.net exception raised: 100000");
    EXPECT_EQ(xml_value(invqry("A100"), "StockCode"), "A100") << "other BOs stay licensed";
    settings(R"({"unlicensed_message": "ERROR: e.net exception 100000"})");
    EXPECT_EQ(post("ARSTPY", "", "<PostArPayment/>"), "ERROR: e.net exception 100000");
    settings(R"({"arstpy_output": "status_only", "unlicensed": []})");
    std::string out = post("ARSTPY", "", "<PostArPayment><Item><Payment><Customer>NOPE</Customer></Payment></Item></PostArPayment>");
    EXPECT_EQ(out.find("<Item>"), std::string::npos) << out;
    EXPECT_EQ(xml_value(out, "ItemsInvalid"), "000001");
}

}  // namespace ferry::sandbox::syspro::test
