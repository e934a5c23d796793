#include "shopify/schema.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <set>
#include <sstream>

namespace ferry::sandbox::shopify {

namespace json = boost::json;

namespace {

// The served subset, written compactly: `field` is a String, `field:Type`, `field:[Type]`,
// `field(arg, required!):Type`; `@conn` stands for the usual connection arguments. Connection
// and edge types are derived from the node type. Every field listed here is resolved by
// admin_api.cpp.
const char* schema_text = R"(
scalar ID String Int Float Boolean DateTime Decimal Money URL JSON UnsignedInt64 FormattedString
enum CurrencyCode OrderDisplayFinancialStatus OrderDisplayFulfillmentStatus FulfillmentOrderStatus
enum FulfillmentOrderRequestStatus FulfillmentStatus OrderCancelReason ProductStatus CountryCode
enum WebhookSubscriptionTopic WebhookSubscriptionFormat BulkOperationStatus BulkOperationType
enum BulkOperationErrorCode OrderTransactionKind OrderTransactionStatus RefundLineItemRestockType
enum InventorySetQuantitiesUserErrorCode OrderCreateUserErrorCode BulkOperationUserErrorCode
type QueryRoot {
  shop:Shop location(id):Location locations(@conn,includeInactive,includeLegacy):LocationConnection
  product(id!):Product products(@conn):ProductConnection
  productVariant(id!):ProductVariant productVariants(@conn):ProductVariantConnection
  inventoryItem(id!):InventoryItem inventoryItems(@conn):InventoryItemConnection
  inventoryLevel(id!):InventoryLevel
  order(id!):Order orders(@conn):OrderConnection
  customer(id!):Customer customers(@conn):CustomerConnection
  fulfillmentOrder(id!):FulfillmentOrder fulfillment(id!):Fulfillment
  currentBulkOperation(type):BulkOperation node(id!):Node nodes(ids!):[Node]
  webhookSubscription(id!):WebhookSubscription
  webhookSubscriptions(@conn,topics,callbackUrl,format):WebhookSubscriptionConnection
}
type Mutation {
  inventorySetQuantities(input!):InventorySetQuantitiesPayload
  orderUpdate(input!):OrderUpdatePayload
  fulfillmentCreate(fulfillment!,message):FulfillmentCreatePayload
  orderCreate(order!,options):OrderCreatePayload
  bulkOperationRunQuery(query!,groupObjects):BulkOperationRunQueryPayload
  webhookSubscriptionCreate(topic!,webhookSubscription!):WebhookSubscriptionCreatePayload
  webhookSubscriptionDelete(id!):WebhookSubscriptionDeletePayload
  tagsAdd(id!,tags!):TagsAddPayload tagsRemove(id!,tags!):TagsRemovePayload
}
type Shop { id:ID name email myshopifyDomain currencyCode:CurrencyCode ianaTimezone plan:ShopPlan }
type ShopPlan { displayName partnerDevelopment:Boolean shopifyPlus:Boolean }
type Location {
  id:ID legacyResourceId:UnsignedInt64 name isActive:Boolean fulfillsOnlineOrders:Boolean address:LocationAddress
  inventoryLevels(@conn):InventoryLevelConnection inventoryLevel(inventoryItemId!):InventoryLevel
  createdAt:DateTime updatedAt:DateTime
}
type LocationAddress { address1 address2 city province provinceCode country countryCode zip phone }
type Product {
  id:ID legacyResourceId:UnsignedInt64 title handle vendor productType status:ProductStatus tags:[String]
  createdAt:DateTime updatedAt:DateTime totalInventory:Int variants(@conn):ProductVariantConnection
}
type ProductVariant {
  id:ID legacyResourceId:UnsignedInt64 sku title displayName price:Money barcode inventoryQuantity:Int
  createdAt:DateTime updatedAt:DateTime product:Product inventoryItem:InventoryItem
}
type InventoryItem {
  id:ID legacyResourceId:UnsignedInt64 sku tracked:Boolean createdAt:DateTime updatedAt:DateTime
  variant:ProductVariant inventoryLevels(@conn):InventoryLevelConnection inventoryLevel(locationId!):InventoryLevel
}
type InventoryLevel {
  id:ID createdAt:DateTime updatedAt:DateTime location:Location item:InventoryItem
  quantities(names!):[InventoryQuantity]
}
type InventoryQuantity { id:ID name quantity:Int updatedAt:DateTime }
type Customer {
  id:ID legacyResourceId:UnsignedInt64 email firstName lastName displayName phone note tags:[String]
  taxExempt:Boolean createdAt:DateTime updatedAt:DateTime numberOfOrders:UnsignedInt64 defaultAddress:MailingAddress
  addresses(first):[MailingAddress]
}
type MailingAddress {
  id:ID firstName lastName name company address1 address2 city province provinceCode country
  countryCodeV2:CountryCode zip phone
}
type Order {
  id:ID legacyResourceId:UnsignedInt64 name email phone note tags:[String] poNumber createdAt:DateTime
  updatedAt:DateTime processedAt:DateTime cancelledAt:DateTime cancelReason:OrderCancelReason closed:Boolean
  closedAt:DateTime confirmed:Boolean test:Boolean currencyCode:CurrencyCode
  displayFinancialStatus:OrderDisplayFinancialStatus displayFulfillmentStatus:OrderDisplayFulfillmentStatus
  fullyPaid:Boolean unpaid:Boolean sourceName taxesIncluded:Boolean discountCode discountCodes:[String]
  paymentGatewayNames:[String]
  customer:Customer shippingAddress:MailingAddress billingAddress:MailingAddress
  lineItems(@conn):LineItemConnection shippingLines(@conn,includeRemovals):ShippingLineConnection
  shippingLine:ShippingLine taxLines(first):[TaxLine] subtotalPriceSet:MoneyBag totalPriceSet:MoneyBag
  totalTaxSet:MoneyBag totalShippingPriceSet:MoneyBag totalDiscountsSet:MoneyBag currentTotalPriceSet:MoneyBag
  totalRefundedSet:MoneyBag totalReceivedSet:MoneyBag transactions(first,capturable,manuallyResolvable):[OrderTransaction]
  fulfillmentOrders(@conn,displayable):FulfillmentOrderConnection fulfillments(first):[Fulfillment]
  refunds(first):[Refund] metafields(@conn,namespace,keys):MetafieldConnection metafield(namespace,key!):Metafield
  customAttributes:[Attribute]
}
type MoneyBag { shopMoney:MoneyV2 presentmentMoney:MoneyV2 }
type MoneyV2 { amount:Decimal currencyCode:CurrencyCode }
type LineItem {
  id:ID sku name title variantTitle vendor quantity:Int currentQuantity:Int unfulfilledQuantity:Int
  requiresShipping:Boolean taxable:Boolean variant:ProductVariant product:Product
  originalUnitPriceSet:MoneyBag discountedUnitPriceSet:MoneyBag originalTotalSet:MoneyBag
  totalDiscountSet:MoneyBag discountedTotalSet:MoneyBag taxLines(first):[TaxLine]
}
type TaxLine { title rate:Float ratePercentage:Float priceSet:MoneyBag }
type ShippingLine { id:ID title code source carrierIdentifier originalPriceSet:MoneyBag discountedPriceSet:MoneyBag taxLines:[TaxLine] }
type OrderTransaction {
  id:ID kind:OrderTransactionKind status:OrderTransactionStatus gateway authorizationCode amountSet:MoneyBag
  createdAt:DateTime processedAt:DateTime
}
type FulfillmentOrder {
  id:ID status:FulfillmentOrderStatus requestStatus:FulfillmentOrderRequestStatus createdAt:DateTime
  updatedAt:DateTime order:Order assignedLocation:FulfillmentOrderAssignedLocation
  lineItems(@conn):FulfillmentOrderLineItemConnection
}
type FulfillmentOrderAssignedLocation { name address1 city countryCode:CountryCode zip location:Location }
type FulfillmentOrderLineItem {
  id:ID sku productTitle variantTitle remainingQuantity:Int totalQuantity:Int requiresShipping:Boolean
  inventoryItemId:ID lineItem:LineItem
}
type Fulfillment {
  id:ID legacyResourceId:UnsignedInt64 name status:FulfillmentStatus createdAt:DateTime updatedAt:DateTime
  totalQuantity:Int location:Location order:Order trackingInfo(first):[FulfillmentTrackingInfo]
  fulfillmentLineItems(@conn):FulfillmentLineItemConnection
}
type FulfillmentTrackingInfo { number company url:URL }
type FulfillmentLineItem { id:ID quantity:Int lineItem:LineItem }
type Refund {
  id:ID createdAt:DateTime updatedAt:DateTime note totalRefundedSet:MoneyBag
  refundLineItems(@conn):RefundLineItemConnection
}
type RefundLineItem {
  id:ID quantity:Int restockType:RefundLineItemRestockType restocked:Boolean lineItem:LineItem
  location:Location priceSet:MoneyBag subtotalSet:MoneyBag totalTaxSet:MoneyBag
}
type Metafield { id:ID namespace key value type createdAt:DateTime updatedAt:DateTime }
type Attribute { key value }
type WebhookSubscription {
  id:ID topic:WebhookSubscriptionTopic format:WebhookSubscriptionFormat callbackUrl:URL includeFields:[String]
  createdAt:DateTime updatedAt:DateTime endpoint:WebhookSubscriptionEndpoint
}
union WebhookSubscriptionEndpoint = WebhookHttpEndpoint
type WebhookHttpEndpoint { callbackUrl:URL }
interface Node = Order Customer Product ProductVariant Location InventoryItem FulfillmentOrder Fulfillment { id:ID }
type BulkOperation {
  id:ID status:BulkOperationStatus type:BulkOperationType query createdAt:DateTime completedAt:DateTime
  errorCode:BulkOperationErrorCode objectCount:UnsignedInt64 rootObjectCount:UnsignedInt64
  fileSize:UnsignedInt64 url:URL partialDataUrl:URL
}
type UserError { field:[String] message }
type InventorySetQuantitiesUserError { code:InventorySetQuantitiesUserErrorCode field:[String] message }
type OrderCreateUserError { code:OrderCreateUserErrorCode field:[String] message }
type BulkOperationUserError { code:BulkOperationUserErrorCode field:[String] message }
type InventorySetQuantitiesPayload {
  inventoryAdjustmentGroup:InventoryAdjustmentGroup userErrors:[InventorySetQuantitiesUserError]
}
type InventoryAdjustmentGroup {
  id:ID createdAt:DateTime reason referenceDocumentUri
  changes(inventoryItemIds,locationIds,quantityNames):[InventoryChange]
}
type InventoryChange { name delta:Int quantityAfterChange:Int ledgerDocumentUri item:InventoryItem location:Location }
type OrderUpdatePayload { order:Order userErrors:[UserError] }
type FulfillmentCreatePayload { fulfillment:Fulfillment userErrors:[UserError] }
type OrderCreatePayload { order:Order userErrors:[OrderCreateUserError] }
type BulkOperationRunQueryPayload { bulkOperation:BulkOperation userErrors:[BulkOperationUserError] }
type WebhookSubscriptionCreatePayload { webhookSubscription:WebhookSubscription userErrors:[UserError] }
type WebhookSubscriptionDeletePayload { deletedWebhookSubscriptionId:ID userErrors:[UserError] }
type TagsAddPayload { node:Node userErrors:[UserError] }
type TagsRemovePayload { node:Node userErrors:[UserError] }
type PageInfo { hasNextPage:Boolean hasPreviousPage:Boolean startCursor endCursor }
)";

const std::vector<arg_def> connection_args{{"first"}, {"after"}, {"last"}, {"before"},
                                           {"reverse"}, {"query"}, {"sortKey"}};

field_def parse_field(const std::string& spec, std::string& name) {
    field_def f;
    size_t colon = spec.rfind(':');
    size_t paren = spec.find('(');
    std::string head = colon == std::string::npos ? spec : spec.substr(0, colon);
    std::string type = colon == std::string::npos ? "String" : spec.substr(colon + 1);
    if (paren != std::string::npos) {
        name = head.substr(0, paren);
        std::string args = head.substr(paren + 1, head.size() - paren - 2);
        std::stringstream in(args);
        std::string a;
        while (std::getline(in, a, ',')) {
            if (a == "@conn") {
                f.args.insert(f.args.end(), connection_args.begin(), connection_args.end());
            } else if (!a.empty() && a.back() == '!') {
                f.args.push_back({a.substr(0, a.size() - 1), true});
            } else {
                f.args.push_back({a, false});
            }
        }
    } else {
        name = head;
    }
    if (name == "id" && colon == std::string::npos) type = "ID";
    if (type.front() == '[') {
        f.list = true;
        type = type.substr(1, type.size() - 2);
    }
    f.type = type;
    return f;
}

std::map<std::string, type_def> build_schema() {
    std::map<std::string, type_def> types;
    std::stringstream in(schema_text);
    std::string word;
    std::set<std::string> connection_nodes;
    while (in >> word) {
        if (word == "scalar" || word == "enum") {
            std::string line;
            std::getline(in, line);
            std::stringstream names(line);
            std::string n;
            while (names >> n) types[n] = {n, word == "scalar" ? type_def::kind::scalar : type_def::kind::enumeration, {}, {}};
        } else if (word == "union") {
            std::string name, eq, member;
            in >> name >> eq;
            type_def t{name, type_def::kind::abstract, {}, {}};
            std::string line;
            std::getline(in, line);
            std::stringstream members(line);
            while (members >> member) {
                if (member != "|") t.possible.push_back(member);
            }
            types[name] = t;
        } else if (word == "type" || word == "interface") {
            std::string name, tok;
            in >> name;
            type_def t{name, word == "type" ? type_def::kind::object : type_def::kind::abstract, {}, {}};
            if (word == "interface") {
                in >> tok;  // "="
                while (in >> tok && tok != "{") t.possible.push_back(tok);
            } else {
                in >> tok;  // "{"
            }
            while (in >> tok && tok != "}") {
                std::string field_name;
                field_def f = parse_field(tok, field_name);
                if (f.connection()) connection_nodes.insert(f.type.substr(0, f.type.size() - 10));
                t.fields[field_name] = f;
            }
            types[name] = t;
        }
    }
    for (const auto& node : connection_nodes) {
        type_def edge{node + "Edge", type_def::kind::object, {}, {}};
        edge.fields["cursor"] = {"String", false, {}};
        edge.fields["node"] = {node, false, {}};
        type_def conn{node + "Connection", type_def::kind::object, {}, {}};
        conn.fields["edges"] = {node + "Edge", true, {}};
        conn.fields["nodes"] = {node, true, {}};
        conn.fields["pageInfo"] = {"PageInfo", false, {}};
        types[edge.name] = edge;
        types[conn.name] = conn;
    }
    return types;
}

struct validator {
    const prepared_operation& p;
    json::array& errors;
    std::set<std::string> used_variables;
    std::string api_version;

    void error(const std::string& message, const graphql::location& where, const json::array& path, json::object ext) {
        errors.push_back(gql_error(message, &where, &path, std::move(ext)));
    }

    void directives(const std::vector<graphql::directive>& list, const json::array& path) {
        for (const auto& d : list) {
            bool known = d.name == "skip" || d.name == "include" ||
                         (d.name == "idempotent" && compare_versions(api_version, "2026-01") >= 0);
            if (!known) {
                error("Directive @" + d.name + " is not defined", d.where, path,
                      {{"code", "undefinedDirective"}, {"directiveName", d.name}});
            }
            for (const auto& a : d.arguments) values(a.val);
        }
    }

    void values(const graphql::value_ptr& v) {
        if (!v) return;
        if (v->type == graphql::value::kind::variable) used_variables.insert(v->text);
        for (const auto& i : v->items) values(i);
        for (const auto& [k, f] : v->fields) values(f);
    }

    void selections(const graphql::selection_set& set, const std::string& type_name, json::array path,
                    std::set<std::string>& fragment_stack) {
        const type_def* type = find_type(type_name);
        for (const auto& s : set) {
            if (s.type == graphql::selection::kind::field) {
                json::array here = path;
                here.push_back(json::value(s.response_key()));
                directives(s.directives, here);
                for (const auto& a : s.arguments) values(a.val);
                if (s.name == "__typename") continue;
                auto it = type->fields.find(s.name);
                if (it == type->fields.end()) {
                    error("Field '" + s.name + "' doesn't exist on type '" + type_name + "'", s.where, here,
                          {{"code", "undefinedField"}, {"typeName", type_name}, {"fieldName", s.name}});
                    continue;
                }
                const field_def& f = it->second;
                for (const auto& a : s.arguments) {
                    bool accepted = std::any_of(f.args.begin(), f.args.end(), [&](const arg_def& d) { return d.name == a.name; });
                    if (!accepted) {
                        json::array arg_path = here;
                        arg_path.push_back(json::value(a.name));
                        error("Field '" + s.name + "' doesn't accept argument '" + a.name + "'", a.where, arg_path,
                              {{"code", "argumentNotAccepted"}, {"name", s.name}, {"typeName", "Field"}, {"argumentName", a.name}});
                    }
                }
                std::string missing;
                for (const auto& d : f.args) {
                    if (!d.required) continue;
                    bool given = std::any_of(s.arguments.begin(), s.arguments.end(), [&](const auto& a) { return a.name == d.name; });
                    if (!given) missing += (missing.empty() ? "" : ", ") + d.name;
                }
                if (!missing.empty()) {
                    error("Field '" + s.name + "' is missing required arguments: " + missing, s.where, here,
                          {{"code", "missingRequiredArguments"}, {"className", "Field"}, {"name", s.name}, {"arguments", missing}});
                }
                const type_def* result = find_type(f.type);
                if (result->leaf() && s.children) {
                    error("Selections can't be made on scalars (field '" + s.name + "' returns " + f.type + " but has selections)",
                          s.where, here, {{"code", "selectionMismatch"}, {"nodeName", "field '" + s.name + "'"}, {"typeName", f.type}});
                } else if (!result->leaf() && !s.children) {
                    error("Field must have selections (field '" + s.name + "' returns " + f.type +
                              " but has no selections. Did you mean '" + s.name + " { ... }'?)",
                          s.where, here, {{"code", "selectionMismatch"}, {"nodeName", "field '" + s.name + "'"}, {"typeName", f.type}});
                } else if (s.children) {
                    selections(*s.children, f.type, here, fragment_stack);
                }
            } else if (s.type == graphql::selection::kind::inline_fragment) {
                directives(s.directives, path);
                std::string cond = s.type_condition.empty() ? type_name : s.type_condition;
                if (!find_type(cond)) {
                    error("No such type " + cond + ", so it can't be a fragment condition", s.where, path,
                          {{"code", "undefinedType"}, {"typeName", cond}});
                    continue;
                }
                selections(*s.children, cond, path, fragment_stack);
            } else {
                directives(s.directives, path);
                auto it = p.doc.fragments.find(s.name);
                if (it == p.doc.fragments.end()) {
                    error("Fragment " + s.name + " was used, but not defined", s.where, path,
                          {{"code", "useAndDefineFragment"}, {"fragmentName", s.name}});
                    continue;
                }
                if (fragment_stack.count(s.name)) {
                    error("Fragment " + s.name + " contains an infinite loop", s.where, path,
                          {{"code", "infiniteLoop"}, {"fragmentName", s.name}});
                    continue;
                }
                const graphql::fragment& frag = it->second;
                if (!find_type(frag.type_condition)) {
                    error("No such type " + frag.type_condition + ", so it can't be a fragment condition", frag.where, path,
                          {{"code", "undefinedType"}, {"typeName", frag.type_condition}});
                    continue;
                }
                fragment_stack.insert(s.name);
                selections(frag.selections, frag.type_condition, path, fragment_stack);
                fragment_stack.erase(s.name);
            }
        }
    }
};

// Cost of one selection set on one type; `data` is the matching result object or null.
double selection_cost(const prepared_operation& p, const graphql::selection_set& set, const std::string& type_name,
                      const json::value* data, std::set<std::string>& fragment_stack);

double node_cost(const prepared_operation& p, const graphql::selection& s, const std::string& node_type,
                 const json::value* node) {
    std::set<std::string> stack;
    return 1 + (s.children ? selection_cost(p, *s.children, node_type, node, stack) : 0);
}

double field_cost(const prepared_operation& p, const graphql::selection& s, const field_def& f, const json::value* data) {
    const type_def* result = find_type(f.type);
    if (result->leaf()) return 0;
    if (data && data->is_null()) return 0;
    if (!f.connection()) {
        const json::value* inner = data;
        if (data && data->is_array()) {
            if (data->as_array().empty()) return 0;
            inner = &data->as_array().front();
        }
        std::set<std::string> stack;
        return 1 + (s.children ? selection_cost(p, *s.children, f.type, inner, stack) : 0);
    }
    std::string node_type = f.type.substr(0, f.type.size() - 10);
    // The nodes under edges { node } and under nodes: the larger of the two counts.
    double per_node_requested = 0;
    double actual_total = 0;
    for (const auto& child : *s.children) {
        if (child.type != graphql::selection::kind::field) continue;
        const json::value* child_data = nullptr;
        if (data && data->is_object() && data->as_object().contains(child.response_key())) child_data = &data->as_object().at(child.response_key());
        if (child.name == "nodes") {
            if (data) {
                double sum = 0;
                if (child_data && child_data->is_array()) {
                    for (const auto& n : child_data->as_array()) sum += node_cost(p, child, node_type, &n);
                }
                actual_total = std::max(actual_total, sum);
            } else {
                per_node_requested = std::max(per_node_requested, node_cost(p, child, node_type, nullptr));
            }
        } else if (child.name == "edges" && child.children) {
            for (const auto& edge_field : *child.children) {
                if (edge_field.type != graphql::selection::kind::field || edge_field.name != "node") continue;
                if (data) {
                    double sum = 0;
                    if (child_data && child_data->is_array()) {
                        for (const auto& e : child_data->as_array()) {
                            const json::value* n = e.is_object() && e.as_object().contains(edge_field.response_key())
                                                       ? &e.as_object().at(edge_field.response_key())
                                                       : nullptr;
                            sum += node_cost(p, edge_field, node_type, n);
                        }
                    }
                    actual_total = std::max(actual_total, sum);
                } else {
                    per_node_requested = std::max(per_node_requested, node_cost(p, edge_field, node_type, nullptr));
                }
            }
        }
    }
    if (data) return 2 + actual_total;
    json::object args = arguments_json(s, p.variables);
    int64_t size = 0;
    for (const char* key : {"first", "last"}) {
        if (args.contains(key) && args.at(key).is_int64()) size = std::max(size, args.at(key).as_int64());
    }
    return 2 + static_cast<double>(size) * std::max(per_node_requested, 1.0);
}

double selection_cost(const prepared_operation& p, const graphql::selection_set& set, const std::string& type_name,
                      const json::value* data, std::set<std::string>& fragment_stack) {
    const type_def* type = find_type(type_name);
    double total = 0;
    for (const auto& s : set) {
        if (s.type == graphql::selection::kind::field) {
            auto it = type->fields.find(s.name);
            if (it == type->fields.end()) continue;
            const json::value* child = nullptr;
            if (data && data->is_object() && data->as_object().contains(s.response_key())) child = &data->as_object().at(s.response_key());
            if (data && !child) continue;  // skipped by a directive or not reached
            total += field_cost(p, s, it->second, data ? child : nullptr);
        } else if (s.type == graphql::selection::kind::inline_fragment) {
            std::string cond = s.type_condition.empty() ? type_name : s.type_condition;
            total += selection_cost(p, *s.children, cond, data, fragment_stack);
        } else {
            auto it = p.doc.fragments.find(s.name);
            if (it == p.doc.fragments.end() || fragment_stack.count(s.name)) continue;
            fragment_stack.insert(s.name);
            total += selection_cost(p, it->second.selections, it->second.type_condition, data, fragment_stack);
            fragment_stack.erase(s.name);
        }
    }
    return total;
}

}  // namespace

bool field_def::connection() const { return type.size() > 10 && type.compare(type.size() - 10, 10, "Connection") == 0; }

const std::map<std::string, type_def>& admin_schema() {
    static const std::map<std::string, type_def> schema = build_schema();
    return schema;
}

const type_def* find_type(const std::string& name) {
    const auto& s = admin_schema();
    auto it = s.find(name);
    return it == s.end() ? nullptr : &it->second;
}

bool type_matches(const std::string& condition, const std::string& concrete) {
    if (condition.empty() || condition == concrete) return true;
    const type_def* t = find_type(condition);
    return t && std::find(t->possible.begin(), t->possible.end(), concrete) != t->possible.end();
}

int compare_versions(const std::string& a, const std::string& b) {
    auto rank = [](const std::string& v) { return v == "unstable" ? std::string("9999-99") : v; };
    return rank(a).compare(rank(b)) < 0 ? -1 : rank(a) == rank(b) ? 0 : 1;
}

json::object gql_error(const std::string& message, const graphql::location* where, const json::array* path, json::object extensions) {
    json::object e{{"message", message}};
    if (where) e["locations"] = json::array{json::object{{"line", where->line}, {"column", where->column}}};
    if (path) e["path"] = *path;
    if (!extensions.empty()) e["extensions"] = std::move(extensions);
    return e;
}

json::value to_json(const graphql::value_ptr& v, const json::object& variables) {
    using k = graphql::value::kind;
    if (!v) return nullptr;
    switch (v->type) {
        case k::variable: {
            auto it = variables.find(v->text);
            return it == variables.end() ? json::value(nullptr) : it->value();
        }
        case k::integer:
            try {
                return json::value(static_cast<int64_t>(std::stoll(v->text)));
            } catch (const std::exception&) {
                return json::value(std::stod(v->text));
            }
        case k::floating: return json::value(std::stod(v->text));
        case k::string:
        case k::enumeration: return json::value(v->text);
        case k::boolean: return json::value(v->flag);
        case k::null: return nullptr;
        case k::list: {
            json::array out;
            for (const auto& i : v->items) out.push_back(to_json(i, variables));
            return out;
        }
        case k::object: {
            json::object out;
            for (const auto& [name, f] : v->fields) out[name] = to_json(f, variables);
            return out;
        }
    }
    return nullptr;
}

json::object arguments_json(const graphql::selection& field, const json::object& variables) {
    json::object out;
    for (const auto& a : field.arguments) {
        // An argument given as a variable the client did not send is treated as absent.
        if (a.val->type == graphql::value::kind::variable && !variables.contains(a.val->text)) continue;
        out[a.name] = to_json(a.val, variables);
    }
    return out;
}

json::array prepare(const std::string& query, const json::value& variables, const std::string& operation_name,
                    const std::string& api_version, prepared_operation& out) {
    json::array errors;
    try {
        out.doc = graphql::parse(query);
    } catch (const graphql::syntax_error& e) {
        graphql::location w = e.where();
        errors.push_back(gql_error(e.what(), &w, nullptr, {}));
        return errors;
    }
    const auto& ops = out.doc.operations;
    if (ops.empty()) {
        errors.push_back(gql_error("No operations in this document", nullptr, nullptr, {}));
        return errors;
    }
    if (operation_name.empty()) {
        if (ops.size() > 1) {
            errors.push_back(gql_error("An operation name is required", nullptr, nullptr, {}));
            return errors;
        }
        out.op = &ops.front();
    } else {
        for (const auto& op : ops) {
            if (op.name == operation_name) out.op = &op;
        }
        if (!out.op) {
            errors.push_back(gql_error("No operation named \"" + operation_name + "\"", nullptr, nullptr, {}));
            return errors;
        }
    }
    if (out.op->type == "subscription") {
        errors.push_back(gql_error("Schema is not configured for subscriptions", &out.op->where, nullptr, {}));
        return errors;
    }
    out.path_root = out.op->type + (out.op->name.empty() ? "" : " " + out.op->name);

    validator v{out, errors, {}, api_version};
    std::set<std::string> stack;
    json::array root{json::value(out.path_root)};
    v.directives(out.op->directives, root);
    v.selections(out.op->selections, out.root_type(), root, stack);
    std::set<std::string> declared;
    for (const auto& d : out.op->variables) {
        declared.insert(d.name);
        if (!v.used_variables.count(d.name)) {
            errors.push_back(gql_error("Variable $" + d.name + " is declared by " + (out.op->name.empty() ? "anonymous " + out.op->type : out.op->name) + " but not used",
                                       &d.where, &root, {{"code", "variableNotUsed"}, {"variableName", d.name}}));
        }
    }
    for (const auto& used : v.used_variables) {
        if (!declared.count(used)) {
            errors.push_back(gql_error("Variable $" + used + " is used by " + (out.op->name.empty() ? "anonymous " + out.op->type : out.op->name) + " but not declared",
                                       nullptr, &root, {{"code", "variableNotDefined"}, {"variableName", used}}));
        }
    }
    for (const auto& [name, frag] : out.doc.fragments) {
        (void)frag;
        bool used = false;
        std::function<bool(const graphql::selection_set&, std::set<std::string>&)> uses = [&](const graphql::selection_set& set, std::set<std::string>& seen) {
            for (const auto& s : set) {
                if (s.type == graphql::selection::kind::fragment_spread) {
                    if (s.name == name) return true;
                    auto it = out.doc.fragments.find(s.name);
                    if (it != out.doc.fragments.end() && seen.insert(s.name).second && uses(it->second.selections, seen)) return true;
                } else if (s.children && uses(*s.children, seen)) {
                    return true;
                }
            }
            return false;
        };
        for (const auto& op : ops) {
            std::set<std::string> seen;
            used = used || uses(op.selections, seen);
        }
        if (!used) {
            errors.push_back(gql_error("Fragment " + name + " was defined, but not used", &frag.where, nullptr,
                                       {{"code", "useAndDefineFragment"}, {"fragmentName", name}}));
        }
    }
    if (!errors.empty()) return errors;

    // Variables: the values sent, else the defaults; a missing non-null variable is an error.
    const json::object* given = variables.is_object() ? &variables.as_object() : nullptr;
    for (const auto& d : out.op->variables) {
        if (given && given->contains(d.name) && !(given->at(d.name).is_null() && d.type.non_null)) {
            out.variables[d.name] = given->at(d.name);
        } else if (d.default_value) {
            out.variables[d.name] = to_json(d.default_value, {});
        } else if (d.type.non_null) {
            errors.push_back(gql_error("Variable $" + d.name + " of type " + d.type.to_string() + " was provided invalid value",
                                       &d.where, nullptr,
                                       {{"value", nullptr}, {"problems", json::array{json::object{{"path", json::array{}}, {"explanation", "Expected value to not be null"}}}}}));
        }
    }
    return errors;
}

double query_cost(const prepared_operation& p, const json::value* data) {
    if (p.op->type == "mutation") {
        double total = 0;
        for (const auto& s : p.op->selections) {
            if (s.type == graphql::selection::kind::field && s.name != "__typename") total += 10;
        }
        return total;
    }
    std::set<std::string> stack;
    return selection_cost(p, p.op->selections, p.root_type(), data, stack);
}

}  // namespace ferry::sandbox::shopify
