#include "http/client.hpp"

#include <curl/curl.h>

#include <chrono>
#include <map>
#include <mutex>

namespace ferry::host {

namespace {

struct curl_global {
    curl_global() { curl_global_init(CURL_GLOBAL_DEFAULT); }
    ~curl_global() { curl_global_cleanup(); }
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
    std::string line(data, size * count);
    if (line.rfind("HTTP/", 0) == 0) {
        headers->clear();  // a new response (after a redirect or 100 Continue)
        return size * count;
    }
    size_t colon = line.find(':');
    if (colon == std::string::npos) return size * count;
    std::string value = line.substr(colon + 1);
    size_t start = value.find_first_not_of(" \t");
    size_t end = value.find_last_not_of(" \t\r\n");
    headers->emplace_back(line.substr(0, colon), start == std::string::npos ? "" : value.substr(start, end - start + 1));
    return size * count;
}

bool is_permanent(CURLcode code) {
    switch (code) {
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_LOGIN_DENIED: return true;
        default: return false;
    }
}

}  // namespace

struct http_client::impl {
    std::mutex mutex;
    std::map<std::string, std::vector<CURL*>> idle;  // easy handles keep their connections alive

    CURL* acquire(const std::string& pool) {
        std::lock_guard lock(mutex);
        auto& handles = idle[pool];
        if (handles.empty()) return curl_easy_init();
        CURL* handle = handles.back();
        handles.pop_back();
        return handle;
    }
    void release(const std::string& pool, CURL* handle) {
        std::lock_guard lock(mutex);
        idle[pool].push_back(handle);
    }
    ~impl() {
        for (auto& [pool, handles] : idle) {
            for (CURL* h : handles) curl_easy_cleanup(h);
        }
    }
};

http_client::http_client() {
    static curl_global global;
    impl_ = std::make_unique<impl>();
}

http_client::~http_client() = default;

http_result http_client::send(const std::string& pool, const http_call& call) {
    http_result result;
    CURL* curl = impl_->acquire(pool);
    if (!curl) {
        result.error = "cannot create an HTTP handle";
        return result;
    }
    curl_easy_reset(curl);
    curl_slist* headers = nullptr;
    for (const auto& [name, value] : call.headers) headers = curl_slist_append(headers, (name + ": " + value).c_str());
    // No "Expect: 100-continue" round trip for bodies.
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(curl, CURLOPT_URL, call.url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call.method.c_str());
    if (!call.body.empty() || call.method == "POST" || call.method == "PUT" || call.method == "PATCH") {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call.body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
    }
    if (call.method == "GET") curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    if (call.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, call.timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min<long>(call.timeout_ms, 10000L));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);

    auto started = std::chrono::steady_clock::now();
    CURLcode code = curl_easy_perform(curl);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (code == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        result.status = static_cast<int>(status);
    } else {
        result.error = curl_easy_strerror(code);
        result.fatal = is_permanent(code);
        result.body.clear();
        result.headers.clear();
    }
    curl_slist_free_all(headers);
    impl_->release(pool, curl);
    return result;
}

}  // namespace ferry::host
