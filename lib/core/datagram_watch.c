#include <stddef.h>

#include "datagram_watch.h"

static int find(const struct clat_datagram_watch *w, in_addr_t v4)
{
	for (int i = 0; i < CLAT_WATCH_SLOTS; i++)
		if (w->slot[i].v4 == v4)
			return i;
	return -1;
}

static void close_window(struct clat_datagram_watch *w, int i)
{
	if (w->slot[i].since != 0)
		w->open--;
	w->slot[i].since = 0;
	w->slot[i].count = 0;
}

/* v4's slot, else a free one, else the one whose window is oldest (one
 * without a window first). */
static int obtain(struct clat_datagram_watch *w, in_addr_t v4)
{
	int i = find(w, v4);
	if (i >= 0)
		return i;
	i = find(w, 0);
	if (i < 0) {
		i = 0;
		for (int j = 1; j < CLAT_WATCH_SLOTS; j++)
			if (w->slot[j].since < w->slot[i].since)
				i = j;
		close_window(w, i);
	}
	w->slot[i].v4 = v4;
	w->slot[i].answered = false;
	return i;
}

bool clat_watch_sent(struct clat_datagram_watch *w, in_addr_t v4, int64_t now)
{
	if (v4 == 0 || now <= 0)
		return false;
	int i = obtain(w, v4);
	if (w->slot[i].since == 0) {
		w->slot[i].since = now;
		w->slot[i].count = 1;
		w->open++;
		return false;
	}
	if (w->slot[i].count < CLAT_UNANSWERED_MAX + 1)
		w->slot[i].count++;
	return now - w->slot[i].since >= CLAT_UNANSWERED_SECONDS &&
	       (w->slot[i].answered || w->slot[i].count <= CLAT_UNANSWERED_MAX);
}

void clat_watch_answered(struct clat_datagram_watch *w, in_addr_t v4)
{
	int i = v4 == 0 ? -1 : find(w, v4);
	if (i < 0)
		return;
	close_window(w, i);
	w->slot[i].answered = true;
}

void clat_watch_restart(struct clat_datagram_watch *w, in_addr_t v4, int64_t now)
{
	int i = v4 == 0 ? -1 : find(w, v4);
	if (i >= 0 && w->slot[i].since != 0) {
		w->slot[i].since = now;
		w->slot[i].count = 1;
	}
}
