/* empty_preload: a preload library with nothing in it, built by run-bench.sh
 * with libclat's link flags (-z now, -z relro). Spawning programs with it
 * preloaded shows the floor that loading any one more shared object costs,
 * so that the benchmark can tell that floor from what libclat adds. */
int clat_bench_empty_preload(void);

int clat_bench_empty_preload(void)
{
	return 0;
}
