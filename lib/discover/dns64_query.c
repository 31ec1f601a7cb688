#include <ares.h>
#include <arpa/nameser.h>
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sys/clock.h"
#include "discover/dns64_query.h"
#include "sys/realcalls.h"
#include "sys/lazy_libc.h" /* last: see there */

/* A host program may export its own ares_* (Node.js does): RTLD_DEEPBIND
 * makes c-ares bind to its own symbols and to libc first, so neither the
 * host's c-ares nor libclat's own hooks are reached from inside it.
 * Sanitizer runtimes cannot live with DEEPBIND; those builds do without. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CLAT_DLOPEN_FLAGS (RTLD_NOW | RTLD_LOCAL)
#else
#define CLAT_DLOPEN_FLAGS (RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND)
#endif

#define ANSWER_MAX 4096

struct cares_api {
	int (*library_init)(int);
	int (*init_options)(ares_channel *, struct ares_options *, int);
	void (*destroy)(ares_channel);
	void (*query)(ares_channel, const char *, int, int, ares_callback, void *);
	int (*getsock)(ares_channel, ares_socket_t *, int);
	void (*process_fd)(ares_channel, ares_socket_t, ares_socket_t);
	struct timeval *(*timeout)(ares_channel, struct timeval *, struct timeval *);
	void (*set_socket_functions)(ares_channel, const struct ares_socket_functions *, void *);
	int (*get_servers_ports)(ares_channel, struct ares_addr_port_node **);
	void (*free_data)(void *);
	const char *(*strerror)(int);
};

static struct cares_api cares;
static bool cares_ready;
static char cares_error[128];
static pthread_once_t cares_once = PTHREAD_ONCE_INIT;

#define LOAD(handle, field, name) \
	(*(void **)&cares.field = dlsym(handle, name)) != NULL

static void load_cares(void)
{
	void *handle = dlopen(CLAT_CARES_SONAME, CLAT_DLOPEN_FLAGS);
	if (handle == NULL) {
		snprintf(cares_error, sizeof(cares_error), "cannot load %s", CLAT_CARES_SONAME);
		return;
	}
	bool ok = LOAD(handle, library_init, "ares_library_init") &&
		  LOAD(handle, init_options, "ares_init_options") &&
		  LOAD(handle, destroy, "ares_destroy") &&
		  LOAD(handle, query, "ares_query") &&
		  LOAD(handle, getsock, "ares_getsock") &&
		  LOAD(handle, process_fd, "ares_process_fd") &&
		  LOAD(handle, timeout, "ares_timeout") &&
		  LOAD(handle, set_socket_functions, "ares_set_socket_functions") &&
		  LOAD(handle, get_servers_ports, "ares_get_servers_ports") &&
		  LOAD(handle, free_data, "ares_free_data") &&
		  LOAD(handle, strerror, "ares_strerror");
	if (!ok || cares.library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
		snprintf(cares_error, sizeof(cares_error), "%s lacks what libclat needs",
			 CLAT_CARES_SONAME);
		return; /* the handle stays: never dlclose a library that may run */
	}
	cares_ready = true;
}

struct query_state {
	bool done;
	int status;
	unsigned char answer[ANSWER_MAX];
	int answer_len;
};

/* ares_query hands over the raw answer for NXDOMAIN and NODATA too; the
 * core parser decides what it means. */
static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query_state *q = arg;
	(void)timeouts;
	q->done = true;
	q->status = status;
	if (abuf != NULL && alen > 0 && alen <= ANSWER_MAX) {
		memcpy(q->answer, abuf, (size_t)alen);
		q->answer_len = alen;
	}
}

/* Drives the channel with poll() until the answer or the deadline. */
static void run_until(ares_channel channel, struct query_state *q, long long deadline)
{
	while (!q->done) {
		long long left = deadline - clat_now_ms();
		if (left <= 0)
			return;
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		struct pollfd fds[ARES_GETSOCK_MAXNUM];
		/* c-ares' ARES_GETSOCK_WRITABLE shifts a signed 1 by up to 31
		 * places (undefined behaviour, UBSan): test the bits unsigned. */
		unsigned bits = (unsigned)cares.getsock(channel, socks, ARES_GETSOCK_MAXNUM);
		nfds_t n = 0;
		for (unsigned i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			short events = (short)(((bits & (1u << i)) ? POLLIN : 0) |
					       ((bits & (1u << (i + ARES_GETSOCK_MAXNUM))) ? POLLOUT : 0));
			if (events != 0)
				fds[n++] = (struct pollfd){ .fd = socks[i], .events = events };
		}
		struct timeval max = { .tv_sec = left / 1000, .tv_usec = (left % 1000) * 1000 };
		struct timeval tv, *wait = cares.timeout(channel, &max, &tv);
		int wait_ms = (int)(wait->tv_sec * 1000 + wait->tv_usec / 1000);
		int ready = CLAT_REAL(poll)(fds, n, wait_ms);
		if (ready < 0 && errno != EINTR)
			return;
		if (ready <= 0) {
			cares.process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
			continue;
		}
		for (nfds_t i = 0; i < n; i++)
			cares.process_fd(channel,
					 (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD,
					 (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD);
	}
}

static void first_resolver(ares_channel channel, char *buf, size_t len)
{
	struct ares_addr_port_node *servers = NULL;
	buf[0] = '\0';
	if (cares.get_servers_ports(channel, &servers) != ARES_SUCCESS || servers == NULL)
		return;
	inet_ntop(servers->family, &servers->addr, buf, (socklen_t)len);
	cares.free_data(servers);
}

void clat_dns64_query(unsigned timeout_ms, const struct ares_socket_functions *socket_fns,
		      struct clat_dns64_answer *out)
{
	struct query_state q; /* 4 kB on the stack: discovery runs rarely */
	ares_channel channel;
	/* c-ares doubles the timeout per round: 2 tries of 300 ms end near
	 * 900 ms, and the deadline below cuts anything longer. */
	struct ares_options opts = { .timeout = timeout_ms / 3 > 0 ? (int)(timeout_ms / 3) : 1,
				     .tries = 2 };

	memset(out, 0, sizeof(*out));
	out->result.outcome = CLAT_DNS_FAILURE;
	pthread_once(&cares_once, load_cares);
	if (!cares_ready) {
		snprintf(out->error, sizeof(out->error), "%s", cares_error);
		return;
	}
	int rc = cares.init_options(&channel, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		snprintf(out->error, sizeof(out->error), "resolver setup failed: %s",
			 (cares.strerror)(rc));
		return;
	}
	if (socket_fns != NULL)
		cares.set_socket_functions(channel, socket_fns, NULL);
	first_resolver(channel, out->resolver, sizeof(out->resolver));

	memset(&q, 0, sizeof(q));
	cares.query(channel, CLAT_RFC7050_NAME, ns_c_in, ns_t_aaaa, on_answer, &q);
	run_until(channel, &q, clat_now_ms() + timeout_ms);
	bool timed_out = !q.done;
	cares.destroy(channel); /* cancels a pending query (callback runs) */

	if (q.answer_len > 0 &&
	    clat_rfc7050_parse_response(q.answer, (size_t)q.answer_len, &out->result))
		return;
	out->result.outcome = CLAT_DNS_FAILURE;
	snprintf(out->error, sizeof(out->error), "no usable answer for %s AAAA from %s: %s",
		 CLAT_RFC7050_NAME, out->resolver[0] ? out->resolver : "(no resolver configured)",
		 timed_out ? "timed out" : (cares.strerror)(q.status));
}
