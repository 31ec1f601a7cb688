/* libFuzzer target: the IPv4 -> IPv6 socket-option table
 * (lib/core/sockopt.c).
 *
 * Input: level and option name (4 bytes each, big-endian).
 * Invariants: the class is one of the four; MAP only at IPPROTO_IP, and
 * then getsockopt's query gives the same IPv6 twin; COPY stores level and
 * name unchanged; SO_BROADCAST and every IPv4 multicast option pin the
 * socket; NULL output pointers are accepted; a query hit is never
 * IPPROTO_IP unless the option is honoured there on IPv6 too. */
#include <netinet/in.h>
#include <sys/socket.h>

#include "fuzz_util.h"
#include "sockopt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	int level = (int)fuzz_u32(&in), name = (int)fuzz_u32(&in);
	int l6 = -12345, n6 = -12345, ql = -1, qn = -1;
	enum clat_sockopt_class c = clat_sockopt_classify(level, name, &l6, &n6);
	bool q;

	FUZZ_CHECK(c == CLAT_SOCKOPT_COPY || c == CLAT_SOCKOPT_MAP || c == CLAT_SOCKOPT_PINS_IPV4 ||
			   c == CLAT_SOCKOPT_DROP,
		   "class %d", (int)c);
	FUZZ_CHECK(clat_sockopt_classify(level, name, NULL, NULL) == c, "NULL outputs");
	if (level != IPPROTO_IP)
		FUZZ_CHECK(c != CLAT_SOCKOPT_MAP, "MAP at level %d", level);
	if (c == CLAT_SOCKOPT_COPY)
		FUZZ_CHECK(l6 == level && n6 == name, "COPY changed %d/%d to %d/%d", level, name, l6, n6);
	if (c == CLAT_SOCKOPT_MAP) {
		q = clat_sockopt_query_v6(name, &ql, &qn);
		FUZZ_CHECK(q && ql == l6 && qn == n6, "query_v6 disagrees with classify for %d", name);
		FUZZ_CHECK(l6 == IPPROTO_IPV6 || (l6 == IPPROTO_IP && n6 == name), "MAP target %d/%d",
			   l6, n6);
	}
	if ((level == SOL_SOCKET && name == SO_BROADCAST) ||
	    (level == IPPROTO_IP && (name == IP_MULTICAST_IF || name == IP_MULTICAST_TTL ||
				     name == IP_MULTICAST_LOOP || name == IP_ADD_MEMBERSHIP ||
				     name == IP_DROP_MEMBERSHIP || name == MCAST_JOIN_GROUP)))
		FUZZ_CHECK(c == CLAT_SOCKOPT_PINS_IPV4, "%d/%d does not pin", level, name);
	if (level == IPPROTO_IP && (name == IP_TOS || name == IP_TTL))
		FUZZ_CHECK(c == CLAT_SOCKOPT_MAP && l6 == IPPROTO_IPV6, "TOS/TTL not mapped");

	ql = qn = -1;
	q = clat_sockopt_query_v6(name, &ql, &qn);
	FUZZ_CHECK(clat_sockopt_query_v6(name, NULL, NULL) == q, "query with NULL outputs");
	if (q)
		FUZZ_CHECK(ql == IPPROTO_IPV6 || (ql == IPPROTO_IP && qn == name), "query target %d/%d",
			   ql, qn);
	return 0;
}
