/* Runs every pure-core suite; exit status for the automake test driver. */
#include <stdlib.h>

#include "suites.h"

int main(void)
{
	SRunner *runner = srunner_create(clat_rfc6052_suite());
	int failed;

	srunner_add_suite(runner, clat_policy_suite());
	srunner_add_suite(runner, clat_sockaddr_suite());
	srunner_add_suite(runner, clat_config_suite());
	srunner_add_suite(runner, clat_sockopt_suite());
	srunner_add_suite(runner, clat_cmsg_suite());
	srunner_add_suite(runner, clat_rfc7050_suite());
	srunner_add_suite(runner, clat_pref64_suite());
	srunner_add_suite(runner, clat_prefix_cache_suite());
	srunner_add_suite(runner, clat_icmp_suite());
	srunner_add_suite(runner, clat_addrmap_suite());
	srunner_add_suite(runner, clat_networkd_suite());
	srunner_add_suite(runner, clat_attempts_suite());
	srunner_add_suite(runner, clat_destination_suite());
	srunner_add_suite(runner, clat_prefix_order_suite());
	srunner_add_suite(runner, clat_remote_msg_suite());
	srunner_add_suite(runner, clat_prefix_trust_suite());
	srunner_add_suite(runner, clat_log_escape_suite());
	srunner_add_suite(runner, clat_datagram_watch_suite());
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
