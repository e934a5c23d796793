#include "engine/metrics.hpp"

#include <array>
#include <charconv>

namespace ferry::host {

namespace {

constexpr std::array<double, 12> bucket_bounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};

// The shortest text that reads back as the same double.
std::string number(double v) {
    char buffer[64];
    auto result = std::to_chars(buffer, buffer + sizeof(buffer), v);
    return std::string(buffer, result.ptr);
}

std::string escape(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

}  // namespace

std::string metrics_registry::label_text(const metric_labels& labels) {
    std::string out;
    for (const auto& [name, value] : labels) {
        out += out.empty() ? "" : ",";
        out += name + "=\"" + escape(value) + "\"";
    }
    return out;
}

metrics_registry::family& metrics_registry::family_of(std::string_view name, kind type) {
    auto it = families_.find(name);
    if (it == families_.end()) it = families_.emplace(std::string(name), family{type, {}}).first;
    return it->second;
}

void metrics_registry::add(std::string_view name, const metric_labels& labels, double delta) {
    std::lock_guard lock(mutex_);
    family_of(name, kind::counter).series_by_labels[label_text(labels)].value += delta;
}

void metrics_registry::set(std::string_view name, const metric_labels& labels, double value) {
    std::lock_guard lock(mutex_);
    family_of(name, kind::gauge).series_by_labels[label_text(labels)].value = value;
}

void metrics_registry::observe(std::string_view name, const metric_labels& labels, double seconds) {
    std::lock_guard lock(mutex_);
    series& s = family_of(name, kind::histogram).series_by_labels[label_text(labels)];
    if (s.buckets.empty()) s.buckets.resize(bucket_bounds.size());
    for (size_t i = 0; i < bucket_bounds.size(); ++i) {
        if (seconds <= bucket_bounds[i]) {
            ++s.buckets[i];
            break;
        }
    }
    s.value += seconds;
    ++s.count;
}

double metrics_registry::value(std::string_view name, const metric_labels& labels) const {
    std::lock_guard lock(mutex_);
    auto f = families_.find(name);
    if (f == families_.end()) return 0;
    auto s = f->second.series_by_labels.find(label_text(labels));
    if (s == f->second.series_by_labels.end()) return 0;
    return f->second.type == kind::histogram ? double(s->second.count) : s->second.value;
}

std::string metrics_registry::render() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [name, f] : families_) {
        const char* type = f.type == kind::counter ? "counter" : f.type == kind::gauge ? "gauge" : "histogram";
        out += "# TYPE " + name + " " + type + "\n";
        for (const auto& [labels, s] : f.series_by_labels) {
            auto with = [&](const std::string& extra) {
                std::string all = labels;
                if (!extra.empty()) all += (all.empty() ? "" : ",") + extra;
                return all.empty() ? std::string() : "{" + all + "}";
            };
            if (f.type != kind::histogram) {
                out += name + with("") + " " + number(s.value) + "\n";
                continue;
            }
            uint64_t cumulative = 0;
            for (size_t i = 0; i < bucket_bounds.size(); ++i) {
                cumulative += s.buckets[i];
                out += name + "_bucket" + with("le=\"" + number(bucket_bounds[i]) + "\"") + " " + std::to_string(cumulative) + "\n";
            }
            out += name + "_bucket" + with("le=\"+Inf\"") + " " + std::to_string(s.count) + "\n";
            out += name + "_sum" + with("") + " " + number(s.value) + "\n";
            out += name + "_count" + with("") + " " + std::to_string(s.count) + "\n";
        }
    }
    return out;
}

}  // namespace ferry::host
