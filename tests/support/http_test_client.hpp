// A blocking HTTP client for tests, over libcurl: control routes of the sandbox, webhooks.
#pragma once

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::test {

struct http_answer {
    long status = 0;  // 0: no answer (refused, timed out)
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    double seconds = 0;  // until the whole answer arrived

    // The first header of that name, without regard to case; "" when absent.
    std::string header(std::string_view name) const {
        for (const auto& [key, value] : headers) {
            if (key.size() == name.size() &&
                std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
                return value;
            }
        }
        return {};
    }
};

inline size_t collect_body(char* data, size_t size, size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
}

inline size_t collect_header(char* data, size_t size, size_t count, void* out) {
    std::string line(data, size * count);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ')) value.erase(value.begin());
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
        static_cast<std::vector<std::pair<std::string, std::string>>*>(out)->emplace_back(line.substr(0, colon), value);
    }
    return size * count;
}

inline http_answer http_call(const std::string& method, const std::string& url, const std::string& body = "",
                             const std::vector<std::pair<std::string, std::string>>& headers = {}, long timeout_ms = 10000) {
    http_answer a;
    CURL* curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "POST" || method == "PUT") {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    curl_slist* list = nullptr;
    for (const auto& [name, value] : headers) list = curl_slist_append(list, (name + ": " + value).c_str());
    if (list) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &a.headers);
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a.status);
    curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &a.seconds);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    return a;
}

}  // namespace ferry::test
