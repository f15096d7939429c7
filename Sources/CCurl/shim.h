#ifndef BATON_CCURL_SHIM_H
#define BATON_CCURL_SHIM_H
// libcurl is opened with dlopen on first use rather than linked: linking maps libcurl and its TLS
// stack (OpenSSL, GnuTLS, Kerberos, libssh2, …, about 5 MiB resident) into every process at start,
// and a coordinator that never calls out should not pay for it. Only the types and constants of
// <curl/curl.h> are used at build time; every call goes through these wrappers.
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

typedef struct {
    int loaded; // 1 ok, -1 failed
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *);
    CURLMcode (*multi_add_handle)(CURLM *, CURL *);
    CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
    CURLMcode (*multi_perform)(CURLM *, int *);
    CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned int, int, int *);
    CURLMcode (*multi_wakeup)(CURLM *);
    CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
    CURLMsg *(*multi_info_read)(CURLM *, int *);
    CURLU *(*url)(void);
    void (*url_cleanup)(CURLU *);
    CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
    CURLUcode (*url_get)(const CURLU *, CURLUPart, char **, unsigned int);
    void (*free)(void *);
} baton_curl_api;

// Function-local statics: Swift's importer emits inline functions (and their statics) into each
// object that calls them, not header-level globals. Each copy loads the same library handle and
// symbols, so the copies agree.
static inline baton_curl_api *baton_curl_storage(void) {
    static baton_curl_api table;
    return &table;
}

static inline void baton_curl_load(void) {
    baton_curl_api *api = baton_curl_storage();
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) lib = dlopen("libcurl.so", RTLD_NOW | RTLD_LOCAL);
    if (!lib) { api->loaded = -1; return; }
#define BATON_CURL_LOAD(field, symbol) \
    *(void **)(&api->field) = dlsym(lib, symbol); \
    if (!api->field) { api->loaded = -1; return; }
    BATON_CURL_LOAD(global_init, "curl_global_init")
    BATON_CURL_LOAD(easy_init, "curl_easy_init")
    BATON_CURL_LOAD(easy_cleanup, "curl_easy_cleanup")
    BATON_CURL_LOAD(easy_setopt, "curl_easy_setopt")
    BATON_CURL_LOAD(easy_getinfo, "curl_easy_getinfo")
    BATON_CURL_LOAD(easy_strerror, "curl_easy_strerror")
    BATON_CURL_LOAD(slist_append, "curl_slist_append")
    BATON_CURL_LOAD(slist_free_all, "curl_slist_free_all")
    BATON_CURL_LOAD(multi_init, "curl_multi_init")
    BATON_CURL_LOAD(multi_cleanup, "curl_multi_cleanup")
    BATON_CURL_LOAD(multi_add_handle, "curl_multi_add_handle")
    BATON_CURL_LOAD(multi_remove_handle, "curl_multi_remove_handle")
    BATON_CURL_LOAD(multi_perform, "curl_multi_perform")
    BATON_CURL_LOAD(multi_poll, "curl_multi_poll")
    BATON_CURL_LOAD(multi_wakeup, "curl_multi_wakeup")
    BATON_CURL_LOAD(multi_setopt, "curl_multi_setopt")
    BATON_CURL_LOAD(multi_info_read, "curl_multi_info_read")
    BATON_CURL_LOAD(url, "curl_url")
    BATON_CURL_LOAD(url_cleanup, "curl_url_cleanup")
    BATON_CURL_LOAD(url_set, "curl_url_set")
    BATON_CURL_LOAD(url_get, "curl_url_get")
    BATON_CURL_LOAD(free, "curl_free")
#undef BATON_CURL_LOAD
    api->loaded = 1;
}

// Loaded once per process, on first use, whichever thread gets there first.
static inline baton_curl_api *baton_curl(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, baton_curl_load);
    return baton_curl_storage();
}

static inline int baton_curl_available(void) { return baton_curl()->loaded == 1; }

// CURL_GLOBAL_ALL is a macro expression; a missing libcurl reads as a failed initialisation.
static inline CURLcode baton_curl_global_init_all(void) {
    return baton_curl_available() ? baton_curl()->global_init(CURL_GLOBAL_ALL) : CURLE_FAILED_INIT;
}
static inline CURL *baton_curl_easy_init(void) { return baton_curl()->easy_init(); }
static inline void baton_curl_easy_cleanup(CURL *h) { baton_curl()->easy_cleanup(h); }
static inline const char *baton_curl_easy_strerror(CURLcode c) { return baton_curl()->easy_strerror(c); }
static inline struct curl_slist *baton_curl_slist_append(struct curl_slist *l, const char *s) {
    return baton_curl()->slist_append(l, s);
}
static inline void baton_curl_slist_free_all(struct curl_slist *l) { baton_curl()->slist_free_all(l); }
static inline CURLM *baton_curl_multi_init(void) { return baton_curl()->multi_init(); }
static inline CURLMcode baton_curl_multi_cleanup(CURLM *m) { return baton_curl()->multi_cleanup(m); }
static inline CURLMcode baton_curl_multi_add_handle(CURLM *m, CURL *h) { return baton_curl()->multi_add_handle(m, h); }
static inline CURLMcode baton_curl_multi_remove_handle(CURLM *m, CURL *h) {
    return baton_curl()->multi_remove_handle(m, h);
}
static inline CURLMcode baton_curl_multi_perform(CURLM *m, int *running) { return baton_curl()->multi_perform(m, running); }
static inline CURLMcode baton_curl_multi_poll(CURLM *m, struct curl_waitfd *fds, unsigned int n, int ms, int *ret) {
    return baton_curl()->multi_poll(m, fds, n, ms, ret);
}
static inline CURLMcode baton_curl_multi_wakeup(CURLM *m) { return baton_curl()->multi_wakeup(m); }
static inline CURLMsg *baton_curl_multi_info_read(CURLM *m, int *left) { return baton_curl()->multi_info_read(m, left); }
static inline CURLU *baton_curl_url(void) { return baton_curl()->url(); }
static inline void baton_curl_url_cleanup(CURLU *u) { baton_curl()->url_cleanup(u); }
static inline CURLUcode baton_curl_url_set(CURLU *u, CURLUPart p, const char *s, unsigned int f) {
    return baton_curl()->url_set(u, p, s, f);
}
static inline CURLUcode baton_curl_url_get(const CURLU *u, CURLUPart p, char **s, unsigned int f) {
    return baton_curl()->url_get(u, p, s, f);
}
static inline void baton_curl_free(void *p) { baton_curl()->free(p); }

// curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt are variadic; Swift needs typed wrappers.
static inline CURLcode baton_curl_easy_setopt_long(CURL *h, CURLoption o, long v) { return baton_curl()->easy_setopt(h, o, v); }
static inline CURLcode baton_curl_easy_setopt_string(CURL *h, CURLoption o, const char *v) {
    return baton_curl()->easy_setopt(h, o, v);
}
static inline CURLcode baton_curl_easy_setopt_pointer(CURL *h, CURLoption o, void *v) {
    return baton_curl()->easy_setopt(h, o, v);
}
static inline CURLcode baton_curl_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) {
    return baton_curl()->easy_setopt(h, o, v);
}
static inline CURLcode baton_curl_easy_setopt_off_t(CURL *h, CURLoption o, curl_off_t v) {
    return baton_curl()->easy_setopt(h, o, v);
}
typedef size_t (*baton_curl_data_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);
static inline CURLcode baton_curl_easy_setopt_data_cb(CURL *h, CURLoption o, baton_curl_data_cb v) {
    return baton_curl()->easy_setopt(h, o, v);
}
static inline CURLcode baton_curl_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return baton_curl()->easy_getinfo(h, i, v); }
static inline CURLcode baton_curl_easy_getinfo_pointer(CURL *h, CURLINFO i, void **v) {
    return baton_curl()->easy_getinfo(h, i, v);
}
static inline CURLMcode baton_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) {
    return baton_curl()->multi_setopt(m, o, v);
}
// CURLMsg's result sits in an anonymous union.
static inline CURLcode baton_curl_msg_result(const CURLMsg *m) { return m->data.result; }
#endif
