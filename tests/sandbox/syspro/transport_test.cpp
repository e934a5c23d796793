// Transport, framing and sessions of the SYSPRO emulator against reference sections 1-3 and 14.
#include "syspro_test_client.hpp"

#include <regex>

namespace ferry::sandbox::syspro::test {

namespace {

class syspro_transport : public syspro_base {};
class syspro_sessions : public syspro_base {
    bool log_on_first() override { return false; }
};

const std::string prolog_and_root =
    "<?xml version=\"1.0\" encoding=\"Windows-1252\"?>\n<InvQuery Language='05' Language2='EN' CssStyle='' DecFormat='1' "
    "DateFormat='01' Role='01' Version='8.0.161' OperatorPrimaryRole='   '>\n";

}  // namespace

TEST_F(syspro_transport, logon_returns_34_upper_hex_and_two_spaces) {
    settings(R"({"licence_seats": 2})");
    http_result r = logon("ADMIN", "admin");  // a second operator, so WEB's session stays
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("content-type"), "application/octet-stream");
    EXPECT_EQ(r.header("server"), "Microsoft-HTTPAPI/2.0");
    EXPECT_EQ(r.header("content-length"), "36");
    EXPECT_EQ(r.body.size(), 36u);
    EXPECT_TRUE(std::regex_match(r.body, std::regex("[0-9A-F]{34}  "))) << "'" << r.body << "'";
}

TEST_F(syspro_transport, bad_password_and_unknown_operator_get_the_recorded_text) {
    for (auto [op, pw] : {std::pair{"WEB", "wrong"}, std::pair{"NOBODY", "secret"}}) {
        http_result r = logon(op, pw);
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, "ERROR: Invalid operator password");
        EXPECT_EQ(r.body.size(), 32u);
        EXPECT_EQ(r.header("content-type"), "application/octet-stream");
    }
}

TEST_F(syspro_transport, paths_are_case_insensitive) {
    EXPECT_EQ(http("GET", base_ + "/sysprowcfservice/rest/getversion").body, "8.0.161");
    EXPECT_EQ(http("GET", base_ + "/SYSPROWCFSERVICE/REST/GETVERSION").body, "8.0.161");
    std::string out = http("GET", base_ + "/SysproWcfService/Rest/query/QUERY?BusinessObject=INVQRY&UserId=" + url_encode(user_id_) +
                                      "&XmlIn=" + url_encode("<Query><Key><StockCode>A100</StockCode></Key></Query>"))
                          .body;
    EXPECT_EQ(xml_value(out, "StockCode"), "A100") << out;
}

TEST_F(syspro_transport, path_prefix_and_versions_are_configurable) {
    settings(R"({"path_prefix": "/SysproWCFservice/REST", "get_version": "7.0.0.6", "version": "7.0.042"})");
    EXPECT_EQ(http("GET", base_ + "/sysprowcfservice/rest/GetVersion").body, "7.0.0.6");
    settings(R"({"path_prefix": "/erp/enet"})");
    EXPECT_EQ(http("GET", base_ + "/erp/enet/GetVersion").body, "7.0.0.6");
    EXPECT_EQ(http("GET", base_ + "/SYSPROWCFService/Rest/GetVersion").status, 404);
    std::string out = http("GET", base_ + "/erp/enet/Query/Query?BusinessObject=INVQRY&UserId=" + url_encode(user_id_) +
                                      "&XmlIn=" + url_encode("<Query><Key><StockCode>A100</StockCode></Key></Query>"))
                          .body;
    EXPECT_NE(out.find("Version='7.0.042'"), std::string::npos) << out;
}

TEST_F(syspro_transport, output_framing_follows_the_recordings) {
    http_result r = get("Query/Query", {{"UserId", user_id_}, {"BusinessObject", "INVQRY"},
                                        {"XmlIn", "<Query><Key><StockCode>A100</StockCode></Key><Filter><Warehouse FilterType=\"L\" FilterValue=\"FG\"/></Filter></Query>"}});
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("content-type"), "application/octet-stream");
    EXPECT_EQ(r.header("server"), "Microsoft-HTTPAPI/2.0");
    ASSERT_EQ(r.body.rfind(prolog_and_root, 0), 0u) << r.body.substr(0, 300);
    EXPECT_EQ(r.body.substr(r.body.size() - 13), "</InvQuery>\n ");
    // Quantities are right-aligned in 20 characters with 6 places, each with its Edited_ twin.
    EXPECT_NE(r.body.find("<QtyOnHand>          747.800000</QtyOnHand>\n<Edited_QtyOnHand>747.800</Edited_QtyOnHand>"), std::string::npos);
    EXPECT_NE(r.body.find("<FutureFree>         1554.530000</FutureFree>\n<Edited_FutureFree>1,554.530</Edited_FutureFree>"), std::string::npos);
    EXPECT_NE(r.body.find("<AvailableQty>          747.800000</AvailableQty>"), std::string::npos);
    EXPECT_NE(r.body.find("\n<Supplier/>\n"), std::string::npos) << "empty values are self-closing";
}

TEST_F(syspro_transport, documents_are_encoded_in_windows_1252) {
    control("POST", "seed", R"({"customers": [{"customer": "ACC01", "name": "Caf\u00e9 \u20ac"}]})");
    std::string out = query("COMFND", "<Query><TableName>ArCustomer</TableName><Columns><Column>Name</Column></Columns>"
                                      "<Where><Expression><Column>Customer</Column><Condition>EQ</Condition><Value>ACC01</Value></Expression></Where></Query>");
    EXPECT_NE(out.find("<Name>Caf\xE9 \x80</Name>"), std::string::npos) << out;
}

TEST_F(syspro_transport, urls_of_64_kb_and_more_are_accepted) {
    std::string comments;
    for (int i = 0; i < 700; ++i) {
        comments += "<CommentLine><CustomerPoLine>" + std::to_string(i + 2) + "</CustomerPoLine><LineActionType>A</LineActionType><Comment>" +
                    std::string(90, 'x') + "</Comment></CommentLine>";
    }
    std::string xml = order_doc("<CustomerPoNumber>#LONG</CustomerPoNumber><Customer>WEBS01</Customer>", {{"A100", "1"}}, comments);
    std::string url_part = url_encode(xml);
    ASSERT_GT(url_part.size(), 65536u);
    std::string out = post("SORTOI", order_params("Validate"), xml);
    EXPECT_EQ(xml_value(out, "Status"), "Successful") << out.substr(0, 500);
}

TEST_F(syspro_transport, plain_text_results_can_be_json_quoted_or_string_wrapped) {
    settings(R"({"text_framing": "json", "licence_seats": 5})");
    http_result r = logon("ADMIN", "admin");
    EXPECT_TRUE(std::regex_match(r.body, std::regex("\"[0-9A-F]{34}  \""))) << r.body;
    EXPECT_EQ(logon("ADMIN", "nope").body, "\"ERROR: Invalid operator password\"");
    settings(R"({"text_framing": "string"})");
    EXPECT_EQ(http("GET", base_ + "/SYSPROWCFService/Rest/GetVersion").body,
              "<string xmlns=\"http://schemas.microsoft.com/2003/10/Serialization/\">8.0.161</string>");
    // XML documents are never wrapped.
    EXPECT_EQ(invqry("A100").rfind("<?xml", 0), 0u);
}

TEST_F(syspro_transport, unknown_endpoints_and_other_methods_are_refused_like_wcf) {
    EXPECT_EQ(http("GET", base_ + "/SYSPROWCFService/Rest/Nothing").status, 404);
    EXPECT_EQ(http("POST", base_ + "/SYSPROWCFService/Rest/Logon", "x").status, 405);
    EXPECT_EQ(http("GET", base_ + "/elsewhere").status, 404);
}

TEST_F(syspro_transport, faults_use_the_http_sys_error_page) {
    control("POST", "faults", R"({"fail_next": 1, "error_status": 503})");
    http_result r = http("GET", base_ + "/SYSPROWCFService/Rest/GetVersion");
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.header("server"), "Microsoft-HTTPAPI/2.0");
    EXPECT_NE(r.body.find("HTTP Error 503. The service is unavailable."), std::string::npos) << r.body;
    EXPECT_EQ(http("GET", base_ + "/SYSPROWCFService/Rest/GetVersion").body, "8.0.161");
}

TEST_F(syspro_sessions, logoff_returns_0_and_ends_the_session) {
    std::string id = logon("WEB", "secret").body;
    EXPECT_EQ(get("Logoff", {{"UserId", id}}).body, "0");  // sent with its two spaces, as the VCR client did
    std::string out = get("Query/Query", {{"UserId", id}, {"BusinessObject", "INVQRY"}, {"XmlIn", "<Query><Key><StockCode>A100</StockCode></Key></Query>"}}).body;
    EXPECT_EQ(out, "ERROR: The UserId is not logged on or the session has expired");
}

TEST_F(syspro_sessions, a_new_logon_evicts_the_operators_older_session) {
    std::string first = logon("WEB", "secret").body;
    std::string second = logon("WEB", "secret").body;
    ASSERT_NE(first, second);
    auto q = [&](const std::string& id) {
        return get("Query/Query", {{"UserId", id}, {"BusinessObject", "INVQRY"}, {"XmlIn", "<Query><Key><StockCode>A100</StockCode></Key></Query>"}}).body;
    };
    EXPECT_EQ(q(first).rfind("ERROR: ", 0), 0u);
    EXPECT_EQ(xml_value(q(second), "StockCode"), "A100");
}

TEST_F(syspro_sessions, without_single_session_both_stay_within_the_seats) {
    settings(R"({"single_session_per_operator": false, "licence_seats": 2, "invalid_session_message": "ERROR: Session expired"})");
    std::string first = logon("WEB", "secret").body;
    std::string second = logon("WEB", "secret").body;
    EXPECT_EQ(get("GetLogonProfile", {{"UserId", first}}).status, 200);
    EXPECT_EQ(xml_value(get("GetLogonProfile", {{"UserId", first}}).body, "OperatorCode"), "WEB");
    EXPECT_EQ(xml_value(get("GetLogonProfile", {{"UserId", second}}).body, "OperatorEmailAddress"), "web@example.com");
    EXPECT_EQ(logon("ADMIN", "admin").body, "ERROR: No e.net licence is available: all licensed sessions are in use");
    EXPECT_EQ(get("GetLogonProfile", {{"UserId", "0123"}}).body, "ERROR: Session expired");
}

TEST_F(syspro_sessions, the_licence_limit_refuses_a_second_operator_until_a_seat_frees) {
    std::string web = logon("WEB", "secret").body;
    settings(R"({"licence_exceeded_message": "ERROR: Licence limit reached"})");
    EXPECT_EQ(logon("ADMIN", "admin").body, "ERROR: Licence limit reached");
    EXPECT_EQ(get("Logoff", {{"UserId", web}}).body, "0");
    EXPECT_EQ(logon("ADMIN", "admin").body.size(), 36u);
}

TEST_F(syspro_sessions, idle_sessions_expire_and_give_back_their_seat) {
    settings(R"({"session_timeout_seconds": 60})");
    std::string web = logon("WEB", "secret").body;
    control("POST", "clock", R"({"advance_seconds": 30})");
    EXPECT_EQ(get("GetLogonProfile", {{"UserId", web}}).status, 200);  // use keeps it alive
    control("POST", "clock", R"({"advance_seconds": 45})");
    EXPECT_EQ(xml_value(get("GetLogonProfile", {{"UserId", web}}).body, "OperatorCode"), "WEB");
    control("POST", "clock", R"({"advance_seconds": 61})");
    EXPECT_EQ(get("GetLogonProfile", {{"UserId", web}}).body, "ERROR: The UserId is not logged on or the session has expired");
    EXPECT_EQ(logon("ADMIN", "admin").body.size(), 36u);
}

TEST_F(syspro_sessions, evicting_all_sessions_through_the_control_api) {
    std::string web = logon("WEB", "secret").body;
    auto listed = control("GET", "sessions");
    ASSERT_EQ(listed.at("sessions").as_array().size(), 1u);
    EXPECT_EQ(listed.at("sessions").as_array()[0].at("operator").as_string(), "WEB");
    control("DELETE", "sessions");
    EXPECT_EQ(get("GetLogonProfile", {{"UserId", web}}).body.rfind("ERROR: ", 0), 0u);
}

TEST_F(syspro_sessions, a_wrong_company_is_refused) {
    http_result r = get("Logon", {{"Operator", "WEB"}, {"OperatorPassword", "secret"}, {"CompanyId", "ZZZ"}, {"CompanyPassword", ""}});
    EXPECT_EQ(r.body, "ERROR: Company 'ZZZ' not found");
    // The company id compares without regard to case; extra WCF parameters are accepted.
    r = get("Logon", {{"Operator", "web"}, {"OperatorPassword", "secret"}, {"CompanyId", "edu1"}, {"CompanyPassword", ""}, {"LanguageCode", "05"}});
    EXPECT_EQ(r.body.size(), 36u);
}

}  // namespace ferry::sandbox::syspro::test
