/* One Check suite per pure-core unit, run by check_main.c. */
#ifndef CLAT_TEST_SUITES_H
#define CLAT_TEST_SUITES_H

#include <check.h>

Suite *clat_rfc6052_suite(void);
Suite *clat_policy_suite(void);
Suite *clat_sockaddr_suite(void);
Suite *clat_config_suite(void);
Suite *clat_sockopt_suite(void);
Suite *clat_cmsg_suite(void);
Suite *clat_rfc7050_suite(void);
Suite *clat_pref64_suite(void);
Suite *clat_prefix_cache_suite(void);
Suite *clat_addrmap_suite(void);
Suite *clat_networkd_suite(void);
Suite *clat_icmp_suite(void);
Suite *clat_attempts_suite(void);
Suite *clat_destination_suite(void);
Suite *clat_prefix_order_suite(void);
Suite *clat_remote_msg_suite(void);
Suite *clat_prefix_trust_suite(void);
Suite *clat_log_escape_suite(void);
Suite *clat_datagram_watch_suite(void);

#endif
