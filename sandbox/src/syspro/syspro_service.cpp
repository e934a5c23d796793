// The e.net REST surface (reference sections 1-3): routing under the configurable prefix,
// sessions and licence seats, the octet-stream framing, and the /_sandbox/ control routes.
#include "syspro/syspro_service.hpp"

#include "syspro/business_objects.hpp"
#include "syspro/state.hpp"
#include "syspro/text.hpp"

#include <boost/json.hpp>
#include <net/url.hpp>

#include <chrono>
#include <deque>
#include <mutex>
#include <random>

namespace ferry::sandbox::syspro {

namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

namespace {

const char* const server_header = "Microsoft-HTTPAPI/2.0";
const char* const bad_password = "ERROR: Invalid operator password";  // [REC], 32 bytes

net::http_reply octet(std::string body) {
    return {200, "application/octet-stream", std::move(body), {{"Server", server_header}}};
}

net::http_reply json_reply(int status, const json::value& body) {
    return {status, "application/json", json::serialize(body) + "\n", {}};
}

net::http_reply json_error(int status, const std::string& message) { return json_reply(status, json::object{{"error", message}}); }

const char* reason_phrase(int status) {
    switch (status) {
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 429: return "Too Many Requests";
        case 500: return "Internal Server Error";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return "Error";
    }
}

// The short HTML page HTTP.sys sends when it answers for the service.
net::http_reply http_sys_page(int status, const std::string& detail) {
    std::string reason = reason_phrase(status);
    std::string body = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n"
                       "<HTML><HEAD><TITLE>" + reason + "</TITLE>\r\n"
                       "<META HTTP-EQUIV=\"Content-Type\" Content=\"text/html; charset=us-ascii\"></HEAD>\r\n"
                       "<BODY><h2>" + reason + "</h2>\r\n"
                       "<hr><p>HTTP Error " + std::to_string(status) + ". " + detail + "</p>\r\n"
                       "</BODY></HTML>\r\n";
    return {status, "text/html; charset=us-ascii", std::move(body), {{"Server", server_header}}};
}

struct session {
    std::string operator_code;
    clock_type::time_point last_used;
};

struct logged_request {
    long sequence;
    std::string time, operation, business_object, operator_code, outcome;
};

struct bo_counter {
    long calls = 0, ok = 0, errors = 0, rejected = 0;
};

std::string iso_now() {
    std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start < path.size()) {
        size_t slash = path.find('/', start);
        std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (!part.empty()) parts.push_back(net::url_decode(part));
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return parts;
}

class syspro_service final : public service {
public:
    syspro_service() : random_(std::random_device{}()) {}

    std::string_view name() const override { return "syspro"; }

    void seed(const json::value& data) override {
        std::lock_guard lock(mutex_);
        apply_seed(data);
    }

    void handle(net::http_request_in request, net::http_responder respond) override {
        net::http_reply reply;
        try {
            std::lock_guard lock(mutex_);
            reply = answer(request);
        } catch (const std::exception& e) {
            // A fault of the emulator itself: answer as WCF does for an unhandled error.
            reply = http_sys_page(500, std::string("The server encountered an error processing the request: ") + e.what());
        }
        respond(std::move(reply));
    }

    net::http_reply failure_reply(int status) const override {
        if (status == 503) return http_sys_page(503, "The service is unavailable.");
        if (status == 500) return http_sys_page(500, "The server encountered an error processing the request.");
        return http_sys_page(status, std::string(reason_phrase(status)) + ".");
    }

private:
    clock_type::time_point now() const { return clock_type::now() + offset_; }

    // All or nothing: a seed refused half-way leaves the state as it was.
    void apply_seed(const json::value& data) {
        company_data next_data = data_;
        settings next_settings = settings_;
        next_data.seed(data, next_settings);
        data_ = std::move(next_data);
        settings_ = std::move(next_settings);
    }

    net::http_reply answer(const net::http_request_in& request) {
        size_t q = request.target.find('?');
        std::string path = request.target.substr(0, q);
        std::string query = q == std::string::npos ? std::string{} : request.target.substr(q + 1);
        if (path.rfind("/_sandbox/", 0) == 0) return control(request, path.substr(std::string("/_sandbox/").size()), query);
        return api(request, path, query);
    }

    // ---- the e.net REST surface ----

    // Plain-text results, framed per switch 1 and encoded like the documents.
    net::http_reply text(const std::string& t) const {
        if (settings_.text_framing == "json") {
            return octet(to_windows_1252(json::serialize(json::value(t))));
        }
        if (settings_.text_framing == "string") {
            return octet(to_windows_1252("<string xmlns=\"http://schemas.microsoft.com/2003/10/Serialization/\">" + xml_escape(t) + "</string>"));
        }
        return octet(to_windows_1252(t));
    }

    net::http_reply api(const net::http_request_in& request, const std::string& path, const std::string& query) {
        const std::string& prefix = settings_.path_prefix;
        if (path.size() < prefix.size() || !iequals(path.substr(0, prefix.size()), prefix) ||
            (path.size() > prefix.size() && path[prefix.size()] != '/')) {
            return http_sys_page(404, "The requested URL was not found on this server.");
        }
        std::string operation = lower(path.substr(prefix.size()));
        while (!operation.empty() && operation.back() == '/') operation.pop_back();
        // Lower-case paths and the names the request log uses.
        static const std::map<std::string, std::string> operations{
            {"/logon", "Logon"}, {"/logoff", "Logoff"}, {"/getversion", "GetVersion"}, {"/getlogonprofile", "GetLogonProfile"},
            {"/query/query", "Query/Query"}, {"/query/browse", "Query/Browse"}, {"/query/fetch", "Query/Fetch"}, {"/setup/add", "Setup/Add"},
            {"/setup/update", "Setup/Update"}, {"/setup/delete", "Setup/Delete"}, {"/transaction/post", "Transaction/Post"}};
        auto known = operations.find(operation);
        if (known == operations.end()) {
            return {404, "text/html", "<HTML><HEAD><TITLE>Service</TITLE></HEAD><BODY><P>Endpoint not found.</P></BODY></HTML>", {{"Server", server_header}}};
        }
        if (request.method != "GET") {
            return {405, "text/html", "<HTML><HEAD><TITLE>Service</TITLE></HEAD><BODY><P>Method not allowed.</P></BODY></HTML>",
                    {{"Server", server_header}, {"Allow", "GET"}}};
        }
        query_params params = net::parse_query<query_params>(query);
        auto param = [&](const char* name) {
            auto it = params.find(name);
            return it == params.end() ? std::string{} : it->second;
        };
        expire_sessions();

        if (operation == "/getversion") return logged(text(settings_.get_version), "GetVersion", "", "");
        if (operation == "/logon") return logon(param("Operator"), param("OperatorPassword"), param("CompanyId"), param("CompanyPassword"));

        std::string user_id = trim(param("UserId"));
        auto sit = sessions_.find(user_id);
        const std::string& op_name = known->second;
        if (sit == sessions_.end()) return logged(text(settings_.invalid_session_message), op_name, param("BusinessObject"), "");
        sit->second.last_used = now();
        std::string operator_code = sit->second.operator_code;

        if (operation == "/logoff") {
            sessions_.erase(sit);
            return logged(text("0"), "Logoff", "", operator_code);
        }
        if (operation == "/getlogonprofile") return logged(octet(logon_profile(operator_code)), "GetLogonProfile", "", operator_code);

        bo_call call;
        call.business_object = upper(trim(param("BusinessObject")));
        call.xml_in = param("XmlIn");
        call.xml_parameters = param("XmlParameters");
        call.operator_code = operator_code;
        if (operation == "/query/browse") call.business_object = "COMBRW";
        if (operation == "/query/fetch") call.business_object = "COMFCH";
        if (settings_.unlicensed.count(call.business_object)) return logged(text(settings_.unlicensed_message), op_name, call.business_object, operator_code);
        try {
            std::string body;
            if (operation == "/query/query") body = run_query(data_, settings_, call);
            else if (operation == "/query/browse") body = run_browse(data_, settings_, call.xml_in);
            else if (operation == "/query/fetch") body = run_fetch(data_, settings_, call.xml_in);
            else if (operation == "/transaction/post") body = run_transaction(data_, settings_, call);
            else body = run_setup(data_, settings_, operation.substr(std::string("/setup/").size()), call);
            return logged(octet(std::move(body)), op_name, call.business_object, operator_code);
        } catch (const bo_exception& e) {
            return logged(text(fill(settings_.query_exception_format, {e.what()})), op_name, call.business_object, operator_code);
        }
    }

    net::http_reply logon(const std::string& op, const std::string& password, const std::string& company_id, const std::string& company_password) {
        auto it = data_.operators.find(upper(trim(op)));
        if (it == data_.operators.end() || it->second.password != password) return logged(text(bad_password), "Logon", "", op);
        if (!data_.id.empty() && !iequals(trim(company_id), data_.id)) {
            return logged(text(settings_.message("invalid_company", {trim(company_id)})), "Logon", "", op);
        }
        if (!data_.id.empty() && company_password != data_.password) return logged(text(settings_.message("invalid_company_password", {})), "Logon", "", op);
        const std::string code = it->first;
        if (settings_.single_session_per_operator) {
            for (auto s = sessions_.begin(); s != sessions_.end();) {
                s = s->second.operator_code == code ? sessions_.erase(s) : std::next(s);
            }
        }
        if (static_cast<int>(sessions_.size()) >= settings_.licence_seats) return logged(text(settings_.licence_exceeded_message), "Logon", "", code);
        // A GUID's 32 hex digits and "00", as recorded; the two trailing spaces follow.
        std::string id;
        static const char* hex = "0123456789ABCDEF";
        do {
            id.clear();
            for (int i = 0; i < 32; ++i) id += hex[random_() % 16];
            id += "00";
        } while (sessions_.count(id));
        sessions_[id] = {code, now()};
        return logged(text(id + "  "), "Logon", "", code);
    }

    void expire_sessions() {
        auto limit = std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(settings_.session_timeout_seconds));
        auto t = now();
        for (auto s = sessions_.begin(); s != sessions_.end();) s = t - s->second.last_used > limit ? sessions_.erase(s) : std::next(s);
    }

    std::string logon_profile(const std::string& operator_code) {
        const operator_account& acc = data_.operators.at(operator_code);
        xml_out out("LogonProfile", settings_.root);
        out.leaf("CompanyName", data_.name);
        out.leaf("OperatorCode", acc.code);
        out.leaf("OperatorGroup", acc.group);
        out.leaf("OperatorEmailAddress", acc.email);
        out.leaf("OperatorLocation", acc.location);
        out.leaf("OperatorLanguageCode", "EN");
        out.leaf("SystemLanguage", "05");
        out.leaf("AccountingDate", today());
        out.leaf("CompanyDate", today());
        out.leaf("DefaultArBranch", "");
        out.leaf("DefaultApBranch", "");
        out.leaf("DefaultBank", "");
        out.leaf("DefaultWarehouse", data_.warehouses.empty() ? "" : data_.warehouses.begin()->first);
        out.leaf("DefaultCustomer", "");
        out.leaf("SystemSiteId", "0");
        out.leaf("SystemNationalityCode", "");
        out.leaf("LocalCurrencyCode", "$");
        out.leaf("CurrencyDescription", "");
        out.leaf("DefaultRequisitionUser", "");
        out.leaf("XMLToHTMLTransform", "");
        out.leaf("CssStyle", "");
        out.leaf("CssSuffix", "");
        out.leaf("DecimalFormat", "1");
        out.leaf("DateFormat", "01");
        out.leaf("FunctionalRole", "");
        out.leaf("DatabaseType", "SQL");
        out.leaf("SysproVersion", settings_.root.version);
        out.leaf("EnetVersion", settings_.get_version);
        out.leaf("SysproServerBitWidth", "64");
        return out.finish();
    }

    // Records the call and classifies its outcome: ok, error (an ERROR body) or rejected (the
    // XML carries ErrorDescription or a failed validation).
    net::http_reply logged(net::http_reply reply, const std::string& operation, const std::string& bo, const std::string& operator_code) {
        std::string outcome = "ok";
        std::string_view body = reply.body;
        bool error_text = body.rfind("ERROR", 0) == 0 || body.rfind("\"ERROR", 0) == 0 || body.find("/\">ERROR") != std::string_view::npos;
        if (error_text) outcome = "error";
        else if (body.find("<ErrorDescription>") != std::string_view::npos || body.find("<Status>Failed</Status>") != std::string_view::npos) outcome = "rejected";
        std::string key = bo.empty() ? operation : bo;
        bo_counter& c = counters_[key];
        ++c.calls;
        if (outcome == "ok") ++c.ok;
        else if (outcome == "error") ++c.errors;
        else ++c.rejected;
        log_.push_back({++sequence_, iso_now(), operation, bo, operator_code, outcome});
        if (log_.size() > 1000) log_.pop_front();
        return reply;
    }

    // ---- control routes ----

    net::http_reply control(const net::http_request_in& request, const std::string& rest, const std::string& query) {
        std::vector<std::string> parts = split_path(rest);
        const std::string& method = request.method;
        json::value body;
        if (method == "POST" || method == "PUT") {
            if (!request.body.empty()) {
                json::error_code ec;
                body = json::parse(request.body, ec);
                if (ec) return json_error(400, "request body is not JSON: " + ec.message());
            } else {
                body = json::object{};
            }
        }
        try {
            if (parts.empty()) return json_error(404, "no control route /_sandbox/ (see sandbox/syspro.md)");
            const std::string& what = parts[0];
            if (what == "seed" && method == "POST") {
                apply_seed(body);
                return json_reply(200, summary());
            }
            if (what == "reset" && method == "POST") {
                data_ = company_data{};
                settings_ = settings{};
                sessions_.clear();
                log_.clear();
                counters_.clear();
                offset_ = {};
                return json_reply(200, summary());
            }
            if (what == "settings") {
                if (method == "POST" || method == "PUT") {
                    settings updated = settings_;
                    updated.apply(body);
                    settings_ = updated;
                }
                return json_reply(200, settings_.to_json());
            }
            if (what == "orders") return orders_route(method, parts, query, body);
            if (what == "customers" && method == "GET") {
                if (parts.size() == 2) {
                    auto it = data_.customers.find(parts[1]);
                    if (it == data_.customers.end()) return json_error(404, "no customer '" + parts[1] + "'");
                    return json_reply(200, data_.customer_json(it->second));
                }
                json::array out;
                for (const auto& [code, c] : data_.customers) out.push_back(data_.customer_json(c));
                return json_reply(200, out);
            }
            if (what == "stock" && method == "GET") {
                if (parts.size() == 2) {
                    auto it = data_.stock.find(parts[1]);
                    if (it == data_.stock.end()) return json_error(404, "no stock code '" + parts[1] + "'");
                    return json_reply(200, data_.stock_json(it->second, settings_));
                }
                json::array out;
                for (const auto& [code, item] : data_.stock) out.push_back(data_.stock_json(item, settings_));
                return json_reply(200, out);
            }
            if (what == "payments" && method == "GET") {
                json::array out;
                for (const auto& p : data_.payments) {
                    json::array applied;
                    for (const auto& [inv, amount] : p.applied) applied.push_back(json::object{{"invoice", inv}, {"amount", amount}});
                    out.push_back(json::object{{"journal", p.journal}, {"customer", p.customer}, {"value", p.value}, {"reference", p.reference},
                                               {"date", p.date}, {"payment_type", p.type}, {"bank", p.bank}, {"journal_notation", p.notation},
                                               {"narration", p.narration}, {"applied", applied}});
                }
                return json_reply(200, out);
            }
            if (what == "sessions") {
                if (method == "DELETE") sessions_.clear();
                expire_sessions();
                json::array out;
                for (const auto& [id, s] : sessions_) {
                    auto idle = std::chrono::duration<double>(now() - s.last_used).count();
                    out.push_back(json::object{{"user_id", id}, {"operator", s.operator_code}, {"idle_seconds", idle}});
                }
                return json_reply(200, json::object{{"sessions", out}, {"licence_seats", settings_.licence_seats}});
            }
            if (what == "requests") {
                if (method == "DELETE") {
                    log_.clear();
                    counters_.clear();
                }
                json::object counters;
                for (const auto& [key, c] : counters_) {
                    counters[key] = json::object{{"calls", c.calls}, {"ok", c.ok}, {"errors", c.errors}, {"rejected", c.rejected}};
                }
                json::array entries;
                for (const auto& e : log_) {
                    entries.push_back(json::object{{"sequence", e.sequence}, {"time", e.time}, {"operation", e.operation},
                                                   {"business_object", e.business_object}, {"operator", e.operator_code}, {"outcome", e.outcome}});
                }
                return json_reply(200, json::object{{"counters", counters}, {"requests", entries}});
            }
            if (what == "clock" && method == "POST") {
                const json::value* advance = body.is_object() ? body.as_object().if_contains("advance_seconds") : nullptr;
                if (!advance || !advance->is_number()) return json_error(400, "POST /_sandbox/clock takes {\"advance_seconds\": N}");
                offset_ += std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(advance->to_number<double>()));
                return json_reply(200, json::object{{"offset_seconds", std::chrono::duration<double>(offset_).count()}});
            }
            return json_error(404, "no control route " + method + " /_sandbox/" + rest + " (see sandbox/syspro.md)");
        } catch (const std::invalid_argument& e) {
            return json_error(400, e.what());
        }
    }

    json::value summary() const {
        return json::object{{"warehouses", data_.warehouses.size()}, {"stock", data_.stock.size()}, {"customers", data_.customers.size()},
                            {"operators", data_.operators.size()}, {"orders", data_.orders.size()}};
    }

    net::http_reply orders_route(const std::string& method, const std::vector<std::string>& parts, const std::string& query, const json::value& body) {
        if (parts.size() == 1 && method == "GET") {
            query_params filter = net::parse_query<query_params>(query);
            json::array out;
            for (const auto& [n, o] : data_.orders) {
                auto po = filter.find("customer_po_number");
                if (po != filter.end() && o.customer_po != po->second) continue;
                auto st = filter.find("status");
                if (st != filter.end() && o.status != st->second) continue;
                out.push_back(data_.order_json(o));
            }
            return json_reply(200, out);
        }
        if (parts.size() < 2) return json_error(404, "use /_sandbox/orders or /_sandbox/orders/{sales order}");
        sales_order* o = data_.find_order(parts[1]);
        if (!o) return json_error(404, "no sales order '" + parts[1] + "'");
        if (parts.size() == 2 && method == "GET") return json_reply(200, data_.order_json(*o));
        if (parts.size() != 3 || method != "POST") return json_error(404, "no control route " + method + " on sales order " + o->number);
        const json::object empty;
        const json::object& args = body.is_object() ? body.as_object() : empty;
        auto str = [&](const char* key) {
            const json::value* v = args.if_contains(key);
            return v && v->is_string() ? std::string(v->as_string()) : std::string{};
        };
        bool closed = o->status == "9" || o->status == "\\" || o->status == "*" || o->status == "S";
        if (parts[2] == "dispatch") {
            if (closed) return json_error(409, "sales order " + o->number + " has status '" + o->status + "' and cannot be dispatched");
            std::vector<dispatch_line> lines;
            if (const json::value* ls = args.if_contains("lines")) {
                if (!ls->is_array()) return json_error(400, "'lines' must be an array of {\"line\": N, \"qty\": Q}");
                for (const auto& l : ls->as_array()) {
                    if (!l.is_object() || !l.as_object().if_contains("line") || !l.as_object().at("line").is_number()) {
                        return json_error(400, "each of 'lines' needs a numeric 'line'");
                    }
                    int number = l.as_object().at("line").to_number<int>();
                    auto it = std::find_if(o->lines.begin(), o->lines.end(), [&](const order_line& x) { return x.number == number; });
                    if (it == o->lines.end() || it->kind != line_kind::stock || it->cancelled) return json_error(404, "no stock line " + std::to_string(number));
                    const json::value* qv = l.as_object().if_contains("qty");
                    double qty = qv && qv->is_number() ? qv->to_number<double>() : it->ship_qty;
                    if (qty > it->ship_qty + 1e-9) {
                        return json_error(409, "line " + std::to_string(number) + " has only " + plain_number(it->ship_qty) + " ready to ship");
                    }
                    if (qty > 0) lines.push_back({number, qty});
                }
            }
            bool anything = !lines.empty() || (!args.if_contains("lines") && std::any_of(o->lines.begin(), o->lines.end(), [](const order_line& l) {
                                                   return l.kind == line_kind::stock && !l.cancelled && l.ship_qty > 0;
                                               }));
            if (!anything) return json_error(409, "sales order " + o->number + " has nothing ready to ship (back-ordered or already dispatched)");
            std::string date = str("date");
            dispatch_note& d = data_.dispatch(*o, lines, date.empty() ? today() : date);
            d.carrier = str("carrier");
            d.tracking = str("tracking_number");
            d.comments = str("comments");
            if (!d.carrier.empty()) o->shipping_instrs = d.carrier;
            return json_reply(200, data_.order_json(*o));
        }
        if (parts[2] == "invoice") {
            if (closed) return json_error(409, "sales order " + o->number + " has status '" + o->status + "' and cannot be invoiced");
            std::string date = str("date");
            if (!data_.make_invoice(*o, date.empty() ? today() : date)) return json_error(409, "sales order " + o->number + " has nothing to invoice");
            return json_reply(200, data_.order_json(*o));
        }
        if (parts[2] == "status") {
            std::string status = str("status");
            static const std::vector<std::string> allowed{"0", "1", "2", "3", "4", "8", "9", "S", "F", "*", "\\"};
            if (std::find(allowed.begin(), allowed.end(), status) == allowed.end()) return json_error(400, "'status' must be one of 0 1 2 3 4 8 9 S F * \\");
            if (status == "\\" || status == "*") data_.cancel(*o);
            o->status = status;
            return json_reply(200, data_.order_json(*o));
        }
        return json_error(404, "no control route POST /_sandbox/orders/" + o->number + "/" + parts[2]);
    }

    std::mutex mutex_;
    settings settings_;
    company_data data_;
    std::map<std::string, session> sessions_;
    std::mt19937_64 random_;
    clock_type::duration offset_{};
    std::deque<logged_request> log_;
    std::map<std::string, bo_counter> counters_;
    long sequence_ = 0;
};

}  // namespace

// Nothing here runs later, so the shared timers are not needed.
std::unique_ptr<service> make_service(scheduler&) { return std::make_unique<syspro_service>(); }

}  // namespace ferry::sandbox::syspro
