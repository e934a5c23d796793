#include "payment_sink.hpp"

#include "decimal.hpp"
#include "queries.hpp"
#include "xml.hpp"

#include <boost/json.hpp>

namespace ferry::syspro {

namespace json = boost::json;

namespace {

std::string string_in(const json::object& o, const char* key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

payment_sink::payment_sink(const sdk::create_args& args)
    : ctx_(args.context), pool_(std::string(args.connection), args.connection_config) {
    pool_.bind(ctx_);
    json::value config = json::parse(args.config);
    const json::object& c = config.as_object();
    for (const auto& [gateway, method] : c.at("gateways").as_object()) {
        payment_method m;
        m.bank = string_in(method.as_object(), "bank");
        m.payment_type = string_in(method.as_object(), "payment_type");
        if (m.payment_type.empty()) m.payment_type = "O";
        gateways_[std::string(gateway)] = m;
    }
    if (std::string j = string_in(c, "journal_notation"); !j.empty()) journal_notation_ = j;
}

void payment_sink::write(const sdk::delivery& d, sdk::call& out) {
    json::error_code ec;
    json::value payload = json::parse(d.rec.payload, ec);
    if (ec || !payload.is_object()) throw sdk::reject_error("syspro.payment: the payload is not a JSON object");
    const json::object& payment = payload.as_object();
    std::string number = string_in(payment, "order_number");
    std::string label = "payment " + string_in(payment, "id") + " of order " + number;
    if (number.empty()) throw sdk::reject_error(label + ": no order_number to find the SYSPRO customer by");
    std::string kind = string_in(payment, "kind");
    if (!kind.empty() && kind != "sale" && kind != "capture") {
        throw sdk::reject_error(label + ": a '" + kind + "' is not a payment received; route refunds to a refund pipeline");
    }
    std::string gateway = string_in(payment, "gateway");
    auto method = gateways_.find(gateway);
    if (method == gateways_.end()) {
        std::string known;
        for (const auto& [name, m] : gateways_) known += (known.empty() ? "" : ", ") + name;
        throw sdk::reject_error(label + ": gateway '" + gateway + "' has no SYSPRO bank in the config (known: " + known + ")");
    }
    std::optional<decimal> amount = decimal::parse(string_in(payment, "amount"));
    if (!amount || amount->negative() || amount->is_zero()) {
        throw sdk::reject_error(label + ": amount '" + string_in(payment, "amount") + "' is not a positive decimal");
    }

    table_query q;
    q.table = "SorMaster";
    q.columns = {"SalesOrder", "Customer", "CustomerPoNumber"};
    q.where = {{"CustomerPoNumber", "EQ", number}};
    q.order_by = "SalesOrder";
    q.return_rows = 5;
    std::string customer;
    for (const row& r : find_rows(*pool_, ctx_, q)) {
        if (r.at("CustomerPoNumber") == number && !r.at("Customer").empty()) customer = r.at("Customer");
    }
    // The order pipeline has not imported the order yet; it will.
    if (customer.empty()) throw sdk::retry_error(label + ": the order is not in SYSPRO yet", 30000);

    std::string date = string_in(payment, "processed_at").substr(0, 10);
    pugi::xml_document parameters;
    pugi::xml_node p = parameters.append_child("PostArPayment").append_child("Parameters");
    add_text(p, "PostingPeriod", "C");
    add_text(p, "IgnoreWarnings", "N");
    add_text(p, "ApplyIfEntireDocumentValid", "Y");
    add_text(p, "ValidateOnly", "N");
    pugi::xml_document document;
    pugi::xml_node pay = document.append_child("PostArPayment").append_child("Item").append_child("Payment");
    add_text(pay, "Customer", customer);
    add_text(pay, "PaymentValue", amount->format(2));
    add_text(pay, "Reference", fit(ctx_, number, 30, "Reference", label));
    if (!date.empty()) add_text(pay, "PaymentDate", date);
    add_text(pay, "JournalNotation", journal_notation_);
    std::string narration = gateway + " " + string_in(payment, "reference");
    add_text(pay, "PaymentNarration", fit(ctx_, narration, 50, "PaymentNarration", label));
    add_text(pay, "Bank", method->second.bank);
    add_text(pay, "PaymentType", method->second.payment_type);
    add_text(pay.append_child("UnappliedPayment"), "GrossPaymentValue", amount->format(2));

    pugi::xml_document answer;
    try {
        post(*pool_, ctx_, "Transaction/Post", "ARSTPY", compact(parameters), compact(document), answer);
    } catch (const enet_error& e) {
        // An unlicensed business object will not start working on a retry: stop and say so.
        throw sdk::fatal_error(label + ": " + e.what() + " (is ARSTPY licensed on this SYSPRO?)");
    }
    std::vector<enet_message> errors = errors_in(answer);
    if (!errors.empty()) throw sdk::reject_error(label + ": SYSPRO refused the payment: " + describe(errors));
    ctx_.counter_add("syspro_payments_posted");
    out.set_target_id(customer + "/" + number + "/" + string_in(payment, "id"));
}

}  // namespace ferry::syspro
