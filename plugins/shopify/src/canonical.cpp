#include "canonical.hpp"

#include <algorithm>
#include <cctype>

namespace ferry::shopify {

namespace {

json::value string_array(const std::vector<std::string>& items) {
    json::array a;
    for (const auto& s : items) a.emplace_back(s);
    return a;
}

json::value tags_value(const json::object& o) {
    const json::value* t = o.if_contains("tags");
    if (!t) return json::array();
    if (t->is_string()) return string_array(split_tags(t->get_string()));
    if (t->is_array()) {
        json::array out;
        for (const auto& v : t->get_array()) if (v.is_string()) out.push_back(v);
        return out;
    }
    return json::array();
}

// Sum of the `amount_field` of every object in an array (REST tax_lines, discount_allocations).
std::string sum_of(const json::object& o, std::string_view array_name, std::string_view amount_field) {
    std::vector<std::string> amounts;
    if (const json::array* a = array_at(o, array_name)) {
        for (const auto& item : *a) {
            if (item.is_object()) amounts.push_back(text_or_empty(item.get_object(), amount_field));
        }
    }
    return decimal_sum(amounts);
}

std::string shop_amount(const json::value& v, std::initializer_list<std::string_view> set_path) {
    const json::value* set = path(v, set_path);
    return set ? path_text(*set, {"shopMoney", "amount"}) : "";
}

json::value money_or_null(const std::string& amount) { return amount.empty() ? json::value(nullptr) : json::value(amount); }

json::value address_from_rest(const json::object& o, std::string_view name) {
    const json::object* a = object_at(o, name);
    if (!a) return nullptr;
    json::object out;
    for (const char* f : {"first_name", "last_name", "company", "address1", "address2", "city", "province",
                          "province_code", "zip", "country", "country_code", "phone"}) {
        out[f] = text_or_null(*a, f);
    }
    return out;
}

json::value address_from_graphql(const json::value* a) {
    if (!a || !a->is_object()) return nullptr;
    const json::object& o = a->get_object();
    return json::object{{"first_name", text_or_null(o, "firstName")},   {"last_name", text_or_null(o, "lastName")},
                        {"company", text_or_null(o, "company")},        {"address1", text_or_null(o, "address1")},
                        {"address2", text_or_null(o, "address2")},      {"city", text_or_null(o, "city")},
                        {"province", text_or_null(o, "province")},      {"province_code", text_or_null(o, "provinceCode")},
                        {"zip", text_or_null(o, "zip")},                {"country", text_or_null(o, "country")},
                        {"country_code", text_or_null(o, "countryCodeV2")}, {"phone", text_or_null(o, "phone")}};
}

std::string order_status(bool cancelled, bool closed) { return cancelled ? "cancelled" : closed ? "closed" : "open"; }

std::string canonical_cancel_reason(std::string reason) {
    reason = lower(reason);
    if (reason.empty()) return "";
    static const char* known[] = {"customer", "fraud", "inventory", "declined", "other"};
    for (const char* k : known) if (reason == k) return reason;
    return "other";  // e.g. STAFF: the model has no such reason
}

std::string canonical_financial_status(std::string s) {
    s = lower(s);
    if (s == "expired") return "voided";
    return s;
}

std::string canonical_fulfillment_status(std::string s) {
    s = lower(s);
    if (s == "fulfilled") return "fulfilled";
    if (s == "partial" || s == "partially_fulfilled") return "partial";
    return "unfulfilled";
}

// A GraphQL list field that may come back as a plain list or as a connection ({nodes: [...]}).
const json::array* nodes_of(const json::object& o, std::string_view name) {
    const json::value* v = o.if_contains(name);
    if (!v) return nullptr;
    if (v->is_array()) return &v->get_array();
    if (v->is_object()) {
        if (const json::value* n = v->get_object().if_contains("nodes"); n && n->is_array()) return &n->get_array();
    }
    return nullptr;
}

std::string graphql_tax_total(const json::object& o) {
    std::vector<std::string> amounts;
    if (const json::array* lines = nodes_of(o, "taxLines")) {
        for (const auto& t : *lines) amounts.push_back(shop_amount(t, {"priceSet"}));
    }
    return decimal_sum(amounts);
}

}  // namespace

const char* const order_selection = R"(id name createdAt updatedAt cancelledAt cancelReason closed closedAt
  displayFinancialStatus displayFulfillmentStatus currencyCode
  email phone note tags taxesIncluded paymentGatewayNames poNumber sourceName test discountCodes
  customAttributes { key value }
  customer { id email firstName lastName phone }
  billingAddress { firstName lastName company address1 address2 city province provinceCode zip country countryCodeV2 phone }
  shippingAddress { firstName lastName company address1 address2 city province provinceCode zip country countryCodeV2 phone }
  subtotalPriceSet { shopMoney { amount currencyCode } }
  totalShippingPriceSet { shopMoney { amount currencyCode } }
  totalDiscountsSet { shopMoney { amount currencyCode } }
  totalTaxSet { shopMoney { amount currencyCode } }
  totalPriceSet { shopMoney { amount currencyCode } }
  taxLines { title rate priceSet { shopMoney { amount currencyCode } } }
  shippingLines(first: 5) { nodes { title code carrierIdentifier
    originalPriceSet { shopMoney { amount currencyCode } }
    discountedPriceSet { shopMoney { amount currencyCode } }
    taxLines { title rate priceSet { shopMoney { amount currencyCode } } } } }
  lineItems(first: 25) { nodes { id sku title variantTitle quantity taxable requiresShipping
    originalUnitPriceSet { shopMoney { amount currencyCode } }
    totalDiscountSet { shopMoney { amount currencyCode } }
    taxLines { title rate priceSet { shopMoney { amount currencyCode } } } }
    pageInfo { hasNextPage endCursor } })";

const char* const order_lines_selection = R"(nodes { id sku title variantTitle quantity taxable requiresShipping
    originalUnitPriceSet { shopMoney { amount currencyCode } }
    totalDiscountSet { shopMoney { amount currencyCode } }
    taxLines { title rate priceSet { shopMoney { amount currencyCode } } } }
  pageInfo { hasNextPage endCursor })";

const char* const customer_selection = R"(id email firstName lastName phone note tags taxExempt createdAt updatedAt
  defaultAddress { firstName lastName company address1 address2 city province provinceCode zip country countryCodeV2 phone }
  addresses(first: 10) { firstName lastName company address1 address2 city province provinceCode zip country countryCodeV2 phone })";

const char* const product_selection = R"(id title status handle vendor productType tags createdAt updatedAt
  variants(first: 100) { nodes { id sku title price barcode inventoryItem { id } } })";

const char* const fulfillment_selection = R"(id name status createdAt updatedAt
  location { id name }
  trackingInfo(first: 5) { company number url }
  fulfillmentLineItems(first: 50) { nodes { id quantity lineItem { id sku } } })";

const char* const refund_selection = R"(id note createdAt updatedAt
  totalRefundedSet { shopMoney { amount currencyCode } }
  refundLineItems(first: 25) { nodes { quantity restockType lineItem { id sku }
    subtotalSet { shopMoney { amount currencyCode } } } })";

const char* const transaction_selection = R"(id kind status gateway authorizationCode processedAt createdAt
  amountSet { shopMoney { amount currencyCode } })";

const char* const inventory_item_selection = R"(id sku updatedAt
  inventoryLevels(first: 10) { nodes { id updatedAt location { id name }
    quantities(names: ["available", "on_hand", "committed", "incoming"]) { name quantity } } })";

// ---------------------------------------------------------------------------------------------
// REST
// ---------------------------------------------------------------------------------------------

json::object order_from_rest(const json::object& o) {
    json::object out;
    out["id"] = gid_of(o, "Order");
    out["number"] = text_or_empty(o, "name");
    out["created_at"] = text_or_null(o, "created_at");
    out["updated_at"] = text_or_null(o, "updated_at");
    out["cancelled_at"] = text_or_null(o, "cancelled_at");
    std::string reason = canonical_cancel_reason(text_or_empty(o, "cancel_reason"));
    out["cancel_reason"] = reason.empty() ? json::value(nullptr) : json::value(reason);
    out["status"] = order_status(text_of(o, "cancelled_at").has_value(), text_of(o, "closed_at").has_value());
    out["financial_status"] = canonical_financial_status(text_or_empty(o, "financial_status"));
    out["fulfillment_status"] = canonical_fulfillment_status(text_or_empty(o, "fulfillment_status"));
    out["currency"] = text_or_empty(o, "currency");
    out["email"] = text_or_null(o, "email");
    out["phone"] = text_or_null(o, "phone");
    if (const json::object* c = object_at(o, "customer")) {
        out["customer"] = json::object{{"id", gid_of(*c, "Customer")},
                                       {"email", text_or_null(*c, "email")},
                                       {"first_name", text_or_null(*c, "first_name")},
                                       {"last_name", text_or_null(*c, "last_name")},
                                       {"phone", text_or_null(*c, "phone")}};
    } else {
        out["customer"] = nullptr;
    }
    out["billing_address"] = address_from_rest(o, "billing_address");
    out["shipping_address"] = address_from_rest(o, "shipping_address");

    json::array lines;
    if (const json::array* items = array_at(o, "line_items")) {
        for (const auto& v : *items) {
            if (!v.is_object()) continue;
            const json::object& l = v.get_object();
            // Discounts: the allocations are the current model; total_discount is the older field.
            std::string discount = array_at(l, "discount_allocations") ? sum_of(l, "discount_allocations", "amount")
                                                                       : text_of(l, "total_discount").value_or("0.00");
            lines.push_back(json::object{{"id", gid_of(l, "LineItem")},
                                         {"sku", text_or_null(l, "sku")},
                                         {"title", text_or_empty(l, "title")},
                                         {"variant_title", text_or_null(l, "variant_title")},
                                         {"quantity", int_of(l, "quantity").value_or(0)},
                                         {"unit_price", text_of(l, "price").value_or("0.00")},
                                         {"discount", discount},
                                         {"tax", sum_of(l, "tax_lines", "price")},
                                         {"taxable", bool_of(l, "taxable", true)},
                                         {"requires_shipping", bool_of(l, "requires_shipping", true)},
                                         {"ext", json::object{{"shopify", json::object{
                                             {"variant_id", l.contains("variant_id") && !l.at("variant_id").is_null() ? json::value(make_gid("ProductVariant", text_or_empty(l, "variant_id"))) : json::value(nullptr)},
                                             {"product_id", l.contains("product_id") && !l.at("product_id").is_null() ? json::value(make_gid("Product", text_or_empty(l, "product_id"))) : json::value(nullptr)},
                                             {"properties", l.contains("properties") ? l.at("properties") : json::value(json::array())}}}}}});
        }
    }
    out["lines"] = std::move(lines);

    json::array shipping;
    if (const json::array* items = array_at(o, "shipping_lines")) {
        for (const auto& v : *items) {
            if (!v.is_object()) continue;
            const json::object& s = v.get_object();
            shipping.push_back(json::object{{"title", text_or_empty(s, "title")},
                                            {"code", text_or_null(s, "code")},
                                            {"carrier", text_or_null(s, "carrier_identifier")},
                                            {"price", text_of(s, "price").value_or("0.00")},
                                            {"discount", sum_of(s, "discount_allocations", "amount")},
                                            {"tax", sum_of(s, "tax_lines", "price")}});
        }
    }
    out["shipping_lines"] = std::move(shipping);

    json::array codes;
    if (const json::array* items = array_at(o, "discount_codes")) {
        for (const auto& v : *items) {
            if (!v.is_object()) continue;
            const json::object& d = v.get_object();
            codes.push_back(json::object{{"code", text_or_empty(d, "code")},
                                         {"amount", text_or_null(d, "amount")},
                                         {"type", text_or_null(d, "type")}});
        }
    }
    out["discount_codes"] = std::move(codes);

    json::array taxes;
    if (const json::array* items = array_at(o, "tax_lines")) {
        for (const auto& v : *items) {
            if (!v.is_object()) continue;
            const json::object& t = v.get_object();
            taxes.push_back(json::object{{"title", text_or_empty(t, "title")},
                                         {"rate", t.contains("rate") ? t.at("rate") : json::value(nullptr)},
                                         {"amount", text_of(t, "price").value_or("0.00")}});
        }
    }
    out["tax_lines"] = std::move(taxes);
    out["taxes_included"] = bool_of(o, "taxes_included");
    out["subtotal"] = text_or_null(o, "subtotal_price");
    std::string shipping_total = path_text(o, {"total_shipping_price_set", "shop_money", "amount"});
    out["shipping_total"] = shipping_total.empty() ? json::value(sum_of(o, "shipping_lines", "price")) : json::value(shipping_total);
    out["discount_total"] = text_or_null(o, "total_discounts");
    out["tax_total"] = text_or_null(o, "total_tax");
    out["total"] = text_of(o, "total_price").value_or("0.00");
    json::value gateways = o.contains("payment_gateway_names") ? o.at("payment_gateway_names") : json::value(json::array());
    out["payment_gateways"] = gateways;
    out["note"] = text_or_null(o, "note");
    out["tags"] = tags_value(o);
    out["ext"] = json::object{{"shopify", json::object{
        {"legacy_id", text_or_null(o, "id")},
        {"order_number", text_or_null(o, "order_number")},
        {"note_attributes", o.contains("note_attributes") ? o.at("note_attributes") : json::value(json::array())},
        {"source_name", text_or_null(o, "source_name")},
        {"po_number", text_or_null(o, "po_number")},
        {"presentment_currency", text_or_null(o, "presentment_currency")},
        {"financial_status", text_or_null(o, "financial_status")},
        {"test", bool_of(o, "test")}}}};
    return out;
}

json::object customer_from_rest(const json::object& c) {
    json::array addresses;
    if (const json::array* items = array_at(c, "addresses")) {
        for (const auto& v : *items) {
            if (v.is_object()) addresses.push_back(address_from_rest(json::object{{"a", v}}, "a"));
        }
    }
    json::value def = address_from_rest(c, "default_address");
    std::string company = def.is_object() ? path_text(def, {"company"}) : "";
    return json::object{{"id", gid_of(c, "Customer")},
                        {"email", text_or_null(c, "email")},
                        {"phone", text_or_null(c, "phone")},
                        {"first_name", text_or_null(c, "first_name")},
                        {"last_name", text_or_null(c, "last_name")},
                        {"company", company.empty() ? json::value(nullptr) : json::value(company)},
                        {"addresses", std::move(addresses)},
                        {"default_address", def},
                        {"tax_exempt", bool_of(c, "tax_exempt")},
                        {"tags", tags_value(c)},
                        {"note", text_or_null(c, "note")},
                        {"created_at", text_or_null(c, "created_at")},
                        {"updated_at", text_or_null(c, "updated_at")},
                        {"ext", json::object{{"shopify", json::object{{"legacy_id", text_or_null(c, "id")},
                                                                      {"state", text_or_null(c, "state")}}}}}};
}

json::object product_from_rest(const json::object& p) {
    json::array variants;
    if (const json::array* items = array_at(p, "variants")) {
        for (const auto& v : *items) {
            if (!v.is_object()) continue;
            const json::object& x = v.get_object();
            const json::value* item = x.if_contains("inventory_item_id");
            variants.push_back(json::object{
                {"id", gid_of(x, "ProductVariant")},
                {"sku", text_or_null(x, "sku")},
                {"title", text_or_empty(x, "title")},
                {"price", text_or_null(x, "price")},
                {"barcode", text_or_null(x, "barcode")},
                {"inventory_item_id", item && (item->is_int64() || item->is_uint64() || item->is_string())
                                          ? json::value(make_gid("InventoryItem", text_or_empty(x, "inventory_item_id")))
                                          : json::value(nullptr)}});
        }
    }
    return json::object{{"id", gid_of(p, "Product")},
                        {"title", text_or_empty(p, "title")},
                        {"status", lower(text_of(p, "status").value_or("active"))},
                        {"updated_at", text_or_null(p, "updated_at")},
                        {"variants", std::move(variants)},
                        {"ext", json::object{{"shopify", json::object{{"handle", text_or_null(p, "handle")},
                                                                      {"vendor", text_or_null(p, "vendor")},
                                                                      {"product_type", text_or_null(p, "product_type")},
                                                                      {"tags", tags_value(p)}}}}}};
}

json::object fulfillment_from_rest(const json::object& f, const std::string& order_name) {
    json::array lines;
    if (const json::array* items = array_at(f, "line_items")) {
        for (const auto& v : *items) {
            if (!v.is_object()) continue;
            const json::object& l = v.get_object();
            lines.push_back(json::object{{"sku", text_or_empty(l, "sku")},
                                         {"quantity", int_of(l, "quantity").value_or(0)},
                                         {"line_id", gid_of(l, "LineItem")}});
        }
    }
    std::string order_id = f.contains("order_id") ? make_gid("Order", text_or_empty(f, "order_id")) : "";
    return json::object{{"id", gid_of(f, "Fulfillment")},
                        {"order_id", order_id.empty() ? json::value(nullptr) : json::value(order_id)},
                        {"order_number", order_name.empty() ? json::value(nullptr) : json::value(order_name)},
                        {"erp_order", nullptr},
                        {"status", lower(text_of(f, "status").value_or("success"))},
                        {"created_at", text_or_null(f, "created_at")},
                        {"tracking", json::object{{"company", text_or_null(f, "tracking_company")},
                                                  {"number", text_or_null(f, "tracking_number")},
                                                  {"url", text_or_null(f, "tracking_url")}}},
                        {"lines", std::move(lines)},
                        {"notify_customer", bool_of(f, "notify_customer")},
                        {"ext", json::object{{"shopify", json::object{{"name", text_or_null(f, "name")},
                                                                      {"location_id", f.contains("location_id") && !f.at("location_id").is_null() ? json::value(make_gid("Location", text_or_empty(f, "location_id"))) : json::value(nullptr)},
                                                                      {"shipment_status", text_or_null(f, "shipment_status")}}}}}};
}

json::object refund_from_rest(const json::object& r, const std::string& order_name, const std::string& currency) {
    json::array lines;
    if (const json::array* items = array_at(r, "refund_line_items")) {
        for (const auto& v : *items) {
            if (!v.is_object()) continue;
            const json::object& l = v.get_object();
            std::string sku;
            if (const json::object* li = object_at(l, "line_item")) sku = text_or_empty(*li, "sku");
            std::string restock = text_or_empty(l, "restock_type");
            lines.push_back(json::object{{"sku", sku},
                                         {"quantity", int_of(l, "quantity").value_or(0)},
                                         {"amount", text_of(l, "subtotal").value_or("0.00")},
                                         {"restock", !restock.empty() && restock != "no_restock"}});
        }
    }
    std::vector<std::string> refunded, shipping;
    std::string tx_currency;
    if (const json::array* txs = array_at(r, "transactions")) {
        for (const auto& v : *txs) {
            if (!v.is_object()) continue;
            const json::object& t = v.get_object();
            if (text_or_empty(t, "kind") == "refund" && text_of(t, "status").value_or("success") == "success") {
                refunded.push_back(text_or_empty(t, "amount"));
                if (tx_currency.empty()) tx_currency = text_or_empty(t, "currency");
            }
        }
    }
    if (const json::array* adjustments = array_at(r, "order_adjustments")) {
        for (const auto& v : *adjustments) {
            if (v.is_object() && text_or_empty(v.get_object(), "kind") == "shipping_refund") {
                // Shopify records a shipping refund as a negative adjustment.
                std::string a = text_or_empty(v.get_object(), "amount");
                shipping.push_back(a.rfind('-', 0) == 0 ? a.substr(1) : a);
            }
        }
    }
    std::string order_id = r.contains("order_id") ? make_gid("Order", text_or_empty(r, "order_id")) : "";
    return json::object{{"id", gid_of(r, "Refund")},
                        {"order_id", order_id.empty() ? json::value(nullptr) : json::value(order_id)},
                        {"order_number", order_name.empty() ? json::value(nullptr) : json::value(order_name)},
                        {"created_at", text_or_null(r, "created_at")},
                        {"note", text_or_null(r, "note")},
                        {"lines", std::move(lines)},
                        {"shipping_amount", decimal_sum(shipping)},
                        {"total", decimal_sum(refunded)},
                        {"currency", !tx_currency.empty() ? tx_currency : currency},
                        {"ext", json::object{{"shopify", json::object{{"legacy_id", text_or_null(r, "id")}}}}}};
}

bool is_payment(std::string_view kind, std::string_view status) {
    std::string k = lower(kind), s = lower(status);
    return (k == "sale" || k == "capture") && (s.empty() || s == "success");
}

json::object payment_from_rest(const json::object& t, const std::string& order_id, const std::string& order_name,
                               const std::string& email) {
    std::string reference = text_or_empty(t, "authorization");
    if (reference.empty()) reference = text_or_empty(t, "receipt_reference");
    return json::object{{"id", gid_of(t, "OrderTransaction")},
                        {"order_id", order_id},
                        {"order_number", order_name.empty() ? json::value(nullptr) : json::value(order_name)},
                        {"customer_email", email.empty() ? json::value(nullptr) : json::value(email)},
                        {"gateway", text_or_empty(t, "gateway")},
                        {"kind", lower(text_or_empty(t, "kind"))},
                        {"amount", text_of(t, "amount").value_or("0.00")},
                        {"currency", text_or_empty(t, "currency")},
                        {"reference", reference.empty() ? json::value(nullptr) : json::value(reference)},
                        {"processed_at", text_of(t, "processed_at").value_or(text_or_empty(t, "created_at"))},
                        {"ext", json::object{{"shopify", json::object{{"legacy_id", text_or_null(t, "id")},
                                                                      {"test", bool_of(t, "test")}}}}}};
}

// ---------------------------------------------------------------------------------------------
// GraphQL
// ---------------------------------------------------------------------------------------------

json::object order_from_graphql(const json::object& o) {
    json::object out;
    out["id"] = text_or_empty(o, "id");
    out["number"] = text_or_empty(o, "name");
    out["created_at"] = text_or_null(o, "createdAt");
    out["updated_at"] = text_or_null(o, "updatedAt");
    out["cancelled_at"] = text_or_null(o, "cancelledAt");
    std::string reason = canonical_cancel_reason(text_or_empty(o, "cancelReason"));
    out["cancel_reason"] = reason.empty() ? json::value(nullptr) : json::value(reason);
    out["status"] = order_status(text_of(o, "cancelledAt").has_value(), bool_of(o, "closed"));
    out["financial_status"] = canonical_financial_status(text_or_empty(o, "displayFinancialStatus"));
    out["fulfillment_status"] = canonical_fulfillment_status(text_or_empty(o, "displayFulfillmentStatus"));
    out["currency"] = text_or_empty(o, "currencyCode");
    out["email"] = text_or_null(o, "email");
    out["phone"] = text_or_null(o, "phone");
    if (const json::object* c = object_at(o, "customer")) {
        out["customer"] = json::object{{"id", text_or_empty(*c, "id")},
                                       {"email", text_or_null(*c, "email")},
                                       {"first_name", text_or_null(*c, "firstName")},
                                       {"last_name", text_or_null(*c, "lastName")},
                                       {"phone", text_or_null(*c, "phone")}};
    } else {
        out["customer"] = nullptr;
    }
    out["billing_address"] = address_from_graphql(o.if_contains("billingAddress"));
    out["shipping_address"] = address_from_graphql(o.if_contains("shippingAddress"));

    json::array lines;
    if (const json::array* items = nodes_of(o, "lineItems")) {
        for (const auto& v : *items) {
            if (!v.is_object()) continue;
            const json::object& l = v.get_object();
            std::string discount = shop_amount(l, {"totalDiscountSet"});
            lines.push_back(json::object{{"id", text_or_empty(l, "id")},
                                         {"sku", text_or_null(l, "sku")},
                                         {"title", text_or_empty(l, "title")},
                                         {"variant_title", text_or_null(l, "variantTitle")},
                                         {"quantity", int_of(l, "quantity").value_or(0)},
                                         {"unit_price", shop_amount(l, {"originalUnitPriceSet"})},
                                         {"discount", discount.empty() ? "0.00" : discount},
                                         {"tax", graphql_tax_total(l)},
                                         {"taxable", bool_of(l, "taxable", true)},
                                         {"requires_shipping", bool_of(l, "requiresShipping", true)}});
        }
    }
    out["lines"] = std::move(lines);

    json::array shipping;
    if (const json::array* items = nodes_of(o, "shippingLines")) {
        for (const auto& v : *items) {
            if (!v.is_object()) continue;
            const json::object& s = v.get_object();
            // The line's discount: what it cost before discounts minus what it costs after.
            std::string original = shop_amount(s, {"originalPriceSet"}), discounted = shop_amount(s, {"discountedPriceSet"});
            std::string discount = discounted.empty() ? "0.00" : decimal_add(original, "-" + discounted).value_or("0.00");
            shipping.push_back(json::object{{"title", text_or_empty(s, "title")},
                                            {"code", text_or_null(s, "code")},
                                            {"carrier", text_or_null(s, "carrierIdentifier")},
                                            {"price", shop_amount(s, {"originalPriceSet"})},
                                            {"discount", discount},
                                            {"tax", graphql_tax_total(s)}});
        }
    }
    out["shipping_lines"] = std::move(shipping);

    json::array codes;
    if (const json::array* items = array_at(o, "discountCodes")) {
        // The GraphQL order gives the codes only; amounts live in discountApplications.
        for (const auto& v : *items) {
            if (v.is_string()) codes.push_back(json::object{{"code", v}, {"amount", nullptr}, {"type", nullptr}});
        }
    }
    out["discount_codes"] = std::move(codes);

    json::array taxes;
    if (const json::array* items = nodes_of(o, "taxLines")) {
        for (const auto& v : *items) {
            if (!v.is_object()) continue;
            const json::object& t = v.get_object();
            taxes.push_back(json::object{{"title", text_or_empty(t, "title")},
                                         {"rate", t.contains("rate") ? t.at("rate") : json::value(nullptr)},
                                         {"amount", shop_amount(t, {"priceSet"})}});
        }
    }
    out["tax_lines"] = std::move(taxes);
    out["taxes_included"] = bool_of(o, "taxesIncluded");
    out["subtotal"] = money_or_null(shop_amount(o, {"subtotalPriceSet"}));
    out["shipping_total"] = money_or_null(shop_amount(o, {"totalShippingPriceSet"}));
    out["discount_total"] = money_or_null(shop_amount(o, {"totalDiscountsSet"}));
    out["tax_total"] = money_or_null(shop_amount(o, {"totalTaxSet"}));
    std::string total = shop_amount(o, {"totalPriceSet"});
    out["total"] = total.empty() ? "0.00" : total;
    out["payment_gateways"] = o.contains("paymentGatewayNames") ? o.at("paymentGatewayNames") : json::value(json::array());
    out["note"] = text_or_null(o, "note");
    out["tags"] = tags_value(o);
    std::string id = text_or_empty(o, "id");
    json::array attributes;
    if (const json::array* items = array_at(o, "customAttributes")) {
        for (const auto& v : *items) {
            if (v.is_object()) attributes.push_back(json::object{{"name", text_or_empty(v.get_object(), "key")},
                                                                 {"value", text_or_null(v.get_object(), "value")}});
        }
    }
    out["ext"] = json::object{{"shopify", json::object{
        {"legacy_id", id.substr(id.rfind('/') + 1)},
        {"note_attributes", std::move(attributes)},
        {"source_name", text_or_null(o, "sourceName")},
        {"po_number", text_or_null(o, "poNumber")},
        {"financial_status", text_or_null(o, "displayFinancialStatus")},
        {"test", bool_of(o, "test")}}}};
    return out;
}

json::object customer_from_graphql(const json::object& c) {
    json::array addresses;
    if (const json::array* items = nodes_of(c, "addresses")) {
        for (const auto& a : *items) addresses.push_back(address_from_graphql(&a));
    }
    json::value def = address_from_graphql(c.if_contains("defaultAddress"));
    std::string company = def.is_object() ? path_text(def, {"company"}) : "";
    std::string id = text_or_empty(c, "id");
    return json::object{{"id", id},
                        {"email", text_or_null(c, "email")},
                        {"phone", text_or_null(c, "phone")},
                        {"first_name", text_or_null(c, "firstName")},
                        {"last_name", text_or_null(c, "lastName")},
                        {"company", company.empty() ? json::value(nullptr) : json::value(company)},
                        {"addresses", std::move(addresses)},
                        {"default_address", def},
                        {"tax_exempt", bool_of(c, "taxExempt")},
                        {"tags", tags_value(c)},
                        {"note", text_or_null(c, "note")},
                        {"created_at", text_or_null(c, "createdAt")},
                        {"updated_at", text_or_null(c, "updatedAt")},
                        {"ext", json::object{{"shopify", json::object{{"legacy_id", id.substr(id.rfind('/') + 1)}}}}}};
}

json::object product_from_graphql(const json::object& p) {
    json::array variants;
    if (const json::array* items = nodes_of(p, "variants")) {
        for (const auto& v : *items) {
            if (!v.is_object()) continue;
            const json::object& x = v.get_object();
            std::string item = path_text(v, {"inventoryItem", "id"});
            variants.push_back(json::object{{"id", text_or_empty(x, "id")},
                                            {"sku", text_or_null(x, "sku")},
                                            {"title", text_or_empty(x, "title")},
                                            {"price", text_or_null(x, "price")},
                                            {"barcode", text_or_null(x, "barcode")},
                                            {"inventory_item_id", item.empty() ? json::value(nullptr) : json::value(item)}});
        }
    }
    return json::object{{"id", text_or_empty(p, "id")},
                        {"title", text_or_empty(p, "title")},
                        {"status", lower(text_of(p, "status").value_or("active"))},
                        {"updated_at", text_or_null(p, "updatedAt")},
                        {"variants", std::move(variants)},
                        {"ext", json::object{{"shopify", json::object{{"handle", text_or_null(p, "handle")},
                                                                      {"vendor", text_or_null(p, "vendor")},
                                                                      {"product_type", text_or_null(p, "productType")},
                                                                      {"tags", tags_value(p)}}}}}};
}

json::object fulfillment_from_graphql(const json::object& f, const json::object& order) {
    json::array lines;
    if (const json::array* items = nodes_of(f, "fulfillmentLineItems")) {
        for (const auto& v : *items) {
            lines.push_back(json::object{{"sku", path_text(v, {"lineItem", "sku"})},
                                         {"quantity", v.is_object() ? int_of(v.get_object(), "quantity").value_or(0) : 0},
                                         {"line_id", path_text(v, {"lineItem", "id"})}});
        }
    }
    json::value tracking = json::object{{"company", nullptr}, {"number", nullptr}, {"url", nullptr}};
    if (const json::array* infos = nodes_of(f, "trackingInfo"); infos && !infos->empty() && infos->front().is_object()) {
        const json::object& t = infos->front().get_object();
        tracking = json::object{{"company", text_or_null(t, "company")}, {"number", text_or_null(t, "number")},
                                {"url", text_or_null(t, "url")}};
    }
    std::string location = path_text(f, {"location", "id"});
    return json::object{{"id", text_or_empty(f, "id")},
                        {"order_id", text_or_empty(order, "id")},
                        {"order_number", text_or_empty(order, "name")},
                        {"erp_order", nullptr},
                        {"status", lower(text_of(f, "status").value_or("success"))},
                        {"created_at", text_or_null(f, "createdAt")},
                        {"tracking", tracking},
                        {"lines", std::move(lines)},
                        {"notify_customer", false},
                        {"ext", json::object{{"shopify", json::object{{"name", text_or_null(f, "name")},
                                                                      {"location_id", location.empty() ? json::value(nullptr) : json::value(location)},
                                                                      {"location", path_text(f, {"location", "name"})}}}}}};
}

json::object refund_from_graphql(const json::object& r, const json::object& order) {
    json::array lines;
    if (const json::array* items = nodes_of(r, "refundLineItems")) {
        for (const auto& v : *items) {
            if (!v.is_object()) continue;
            const json::object& l = v.get_object();
            std::string restock = lower(text_or_empty(l, "restockType"));
            std::string amount = shop_amount(v, {"subtotalSet"});
            lines.push_back(json::object{{"sku", path_text(v, {"lineItem", "sku"})},
                                         {"quantity", int_of(l, "quantity").value_or(0)},
                                         {"amount", amount.empty() ? "0.00" : amount},
                                         {"restock", !restock.empty() && restock != "no_restock"}});
        }
    }
    std::string total = shop_amount(r, {"totalRefundedSet"});
    std::string currency = path_text(r, {"totalRefundedSet", "shopMoney", "currencyCode"});
    std::string id = text_or_empty(r, "id");
    return json::object{{"id", id},
                        {"order_id", text_or_empty(order, "id")},
                        {"order_number", text_or_empty(order, "name")},
                        {"created_at", text_or_null(r, "createdAt")},
                        {"note", text_or_null(r, "note")},
                        {"lines", std::move(lines)},
                        {"shipping_amount", nullptr},
                        {"total", total.empty() ? "0.00" : total},
                        {"currency", currency.empty() ? text_or_empty(order, "currencyCode") : currency},
                        {"ext", json::object{{"shopify", json::object{{"legacy_id", id.substr(id.rfind('/') + 1)}}}}}};
}

json::object payment_from_graphql(const json::object& t, const json::object& order) {
    std::string amount = shop_amount(t, {"amountSet"});
    std::string currency = path_text(t, {"amountSet", "shopMoney", "currencyCode"});
    std::string id = text_or_empty(t, "id");
    return json::object{{"id", id},
                        {"order_id", text_or_empty(order, "id")},
                        {"order_number", text_or_empty(order, "name")},
                        {"customer_email", text_or_null(order, "email")},
                        {"gateway", text_or_empty(t, "gateway")},
                        {"kind", lower(text_or_empty(t, "kind"))},
                        {"amount", amount.empty() ? "0.00" : amount},
                        {"currency", currency.empty() ? text_or_empty(order, "currencyCode") : currency},
                        {"reference", text_or_null(t, "authorizationCode")},
                        {"processed_at", text_of(t, "processedAt").value_or(text_or_empty(t, "createdAt"))},
                        {"ext", json::object{{"shopify", json::object{{"legacy_id", id.substr(id.rfind('/') + 1)}}}}}};
}

std::vector<json::object> inventory_levels_from_graphql(const json::object& item) {
    std::vector<json::object> out;
    const json::array* levels = nodes_of(item, "inventoryLevels");
    if (!levels) return out;
    for (const auto& v : *levels) {
        if (!v.is_object()) continue;
        json::object quantities;
        if (const json::array* qs = nodes_of(v.get_object(), "quantities")) {
            for (const auto& q : *qs) {
                if (!q.is_object()) continue;
                if (auto n = int_of(q.get_object(), "quantity")) quantities[path_text(q, {"name"})] = *n;
            }
        }
        json::object level{{"sku", text_or_empty(item, "sku")},
                           {"location", path_text(v, {"location", "name"})},
                           {"available", quantities.contains("available") ? quantities.at("available") : json::value(0)},
                           {"updated_at", path_text(v, {"updatedAt"})},
                           {"ext", json::object{{"shopify", json::object{
                               {"inventory_level_id", path_text(v, {"id"})},
                               {"inventory_item_id", text_or_empty(item, "id")},
                               {"location_id", path_text(v, {"location", "id"})}}}}}};
        if (quantities.contains("on_hand")) level["on_hand"] = quantities.at("on_hand");
        if (quantities.contains("committed")) level["allocated"] = quantities.at("committed");
        if (quantities.contains("incoming")) level["on_order"] = quantities.at("incoming");
        out.push_back(std::move(level));
    }
    return out;
}

}  // namespace ferry::shopify
