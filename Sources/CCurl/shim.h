#ifndef BATON_CCURL_SHIM_H
#define BATON_CCURL_SHIM_H
#include <curl/curl.h>

// curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt are variadic; Swift needs typed wrappers.
static inline CURLcode baton_curl_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode baton_curl_easy_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode baton_curl_easy_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode baton_curl_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode baton_curl_easy_setopt_off_t(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
typedef size_t (*baton_curl_data_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);
static inline CURLcode baton_curl_easy_setopt_data_cb(CURL *h, CURLoption o, baton_curl_data_cb v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode baton_curl_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode baton_curl_easy_getinfo_pointer(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLMcode baton_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
// CURL_GLOBAL_ALL is a macro expression, and CURLMsg's result sits in an anonymous union.
static inline CURLcode baton_curl_global_init_all(void) { return curl_global_init(CURL_GLOBAL_ALL); }
static inline CURLcode baton_curl_msg_result(const CURLMsg *m) { return m->data.result; }
#endif
