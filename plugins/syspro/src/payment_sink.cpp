#include "payment_sink.hpp"

#include "fields.hpp"
#include "decimal.hpp"
#include "queries.hpp"
#include "xml.hpp"

#include <boost/json.hpp>

namespace ferry::syspro {

namespace json = boost::json;

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
    if (std::string t = string_in(c, "payments_table"); !t.empty()) payments_table_ = t;
}

struct payment_sink::payment_input {
    std::string label;
    std::string order_number;
    std::string transaction;  // the shop's transaction number
    std::string gateway;
    std::string reference;
    std::string date;
    decimal amount;
};

payment_sink::payment_input payment_sink::read(const sdk::delivery& d) {
    json::error_code ec;
    json::value payload = json::parse(d.rec.payload, ec);
    if (ec || !payload.is_object()) throw sdk::reject_error("syspro.payment: the payload is not a JSON object");
    const json::object& payment = payload.as_object();
    payment_input p;
    p.order_number = string_in(payment, "order_number");
    std::string id = string_in(payment, "id");
    p.transaction = id.substr(id.rfind('/') == std::string::npos ? 0 : id.rfind('/') + 1);
    p.label = "payment " + p.transaction + " of order " + p.order_number;
    if (p.order_number.empty()) throw sdk::reject_error(p.label + ": no order_number to find the SYSPRO customer by");
    if (p.transaction.empty()) throw sdk::reject_error(p.label + ": no id");
    std::string kind = string_in(payment, "kind");
    if (!kind.empty() && kind != "sale" && kind != "capture") {
        throw sdk::reject_error(p.label + ": a '" + kind + "' is not a payment received; route refunds to a refund pipeline");
    }
    p.gateway = string_in(payment, "gateway");
    p.reference = string_in(payment, "reference");
    p.date = string_in(payment, "processed_at").substr(0, 10);
    std::optional<decimal> amount = decimal::parse(string_in(payment, "amount"));
    if (!amount || amount->negative() || amount->is_zero()) {
        throw sdk::reject_error(p.label + ": amount '" + string_in(payment, "amount") + "' is not a positive decimal");
    }
    p.amount = *amount;
    return p;
}

std::optional<std::string> payment_sink::find_posted(const payment_input& p, const std::string& customer) {
    table_query q;
    q.table = payments_table_;
    q.columns = {"Journal", "Customer", "Reference", "PaymentNarration"};
    q.where = {{"Customer", "EQ", customer}, {"Reference", "EQ", p.order_number}};
    q.order_by = "Journal";
    q.return_rows = 100;
    std::string marker = "txn " + p.transaction;
    for (const row& r : find_rows(*pool_, ctx_, q)) {
        const std::string& narration = r.at("PaymentNarration");
        if (narration == marker || narration.rfind(marker + " ", 0) == 0) return customer + "/" + whole_number(r.at("Journal"));
    }
    return std::nullopt;
}

void payment_sink::lookup(const sdk::delivery& d, sdk::call& out) {
    payment_input p = read(d);
    std::optional<sales_order_ref> order = find_sales_order(*pool_, ctx_, p.order_number);
    if (!order) return;
    const std::string& customer = order->customer;
    if (auto posted = find_posted(p, customer)) out.set_target_id(*posted);
}

void payment_sink::write(const sdk::delivery& d, sdk::call& out) {
    payment_input p = read(d);
    auto method = gateways_.find(p.gateway);
    if (method == gateways_.end()) {
        std::string known;
        for (const auto& [name, m] : gateways_) known += (known.empty() ? "" : ", ") + name;
        throw sdk::reject_error(p.label + ": gateway '" + p.gateway + "' has no SYSPRO bank in the config (known: " + known + ")");
    }
    std::optional<sales_order_ref> order = find_sales_order(*pool_, ctx_, p.order_number);
    // The order pipeline has not imported the order yet; it will.
    if (!order) throw sdk::retry_error(p.label + ": the order is not in SYSPRO yet", 30000);
    const std::string& customer = order->customer;
    if (auto posted = find_posted(p, customer)) {
        out.set_target_id(*posted);
        return;
    }

    pugi::xml_document parameters;
    pugi::xml_node params = parameters.append_child("PostArPayment").append_child("Parameters");
    add_text(params, "PostingPeriod", "C");
    add_text(params, "IgnoreWarnings", "N");
    add_text(params, "ApplyIfEntireDocumentValid", "Y");
    add_text(params, "ValidateOnly", "N");
    pugi::xml_document document;
    pugi::xml_node pay = document.append_child("PostArPayment").append_child("Item").append_child("Payment");
    add_text(pay, "Customer", customer);
    add_text(pay, "PaymentValue", p.amount.format(2));
    add_text(pay, "Reference", fit(ctx_, p.order_number, 30, "Reference", p.label));
    if (!p.date.empty()) add_text(pay, "PaymentDate", p.date);
    add_text(pay, "JournalNotation", journal_notation_);
    // The transaction number first: it must survive the cut, it is what finds the payment again.
    std::string narration = "txn " + p.transaction + " " + p.gateway + " " + p.reference;
    add_text(pay, "PaymentNarration", fit(ctx_, narration, 50, "PaymentNarration", p.label));
    add_text(pay, "Bank", method->second.bank);
    add_text(pay, "PaymentType", method->second.payment_type);
    add_text(pay.append_child("UnappliedPayment"), "GrossPaymentValue", p.amount.format(2));

    pugi::xml_document answer;
    try {
        post(*pool_, ctx_, "Transaction/Post", "ARSTPY", compact(parameters), compact(document), answer);
    } catch (const enet_error& e) {
        // An unlicensed business object will not start working on a retry: stop and say so.
        throw sdk::fatal_error(p.label + ": " + e.what() + " (is ARSTPY licensed on this SYSPRO?)");
    }
    std::vector<enet_message> errors = errors_in(answer);
    if (!errors.empty()) throw sdk::reject_error(p.label + ": SYSPRO refused the payment: " + describe(errors));
    ctx_.counter_add("payments_posted");
    out.set_target_id(find_posted(p, customer).value_or(customer + "/txn " + p.transaction));
}

}  // namespace ferry::syspro
