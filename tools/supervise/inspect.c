/* --supervise=auto: does a program make its socket calls without libc's
 * dynamic symbols? Go programs do (with or without cgo); their build
 * information marker "\xff Go buildinf:" survives strip. A static ELF (no
 * PT_INTERP, static-pie included) has no dynamic loader to preload into.
 * A "#!" script is judged by its interpreter ("/usr/bin/env NAME" by
 * NAME). The program is looked up on PATH as execvp(3) would. */
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervise.h"

#define SCRIPT_DEPTH 4
static const char go_marker[] = "\xff Go buildinf:";

static bool find_on_path(const char *program, char *out, size_t outlen)
{
	if (strchr(program, '/') != NULL) {
		snprintf(out, outlen, "%s", program);
		return access(out, X_OK) == 0;
	}
	const char *dirs = getenv("PATH");
	if (dirs == NULL)
		dirs = "/bin:/usr/bin";
	while (*dirs != '\0') {
		size_t dirlen = strcspn(dirs, ":");
		snprintf(out, outlen, "%.*s/%s", (int)(dirlen ? dirlen : 1),
			 dirlen ? dirs : ".", program);
		if (access(out, X_OK) == 0)
			return true;
		dirs += dirlen + (dirs[dirlen] == ':');
	}
	return false;
}

/* The PT_INTERP path of an ELF file (either class, the host's byte
 * order): 1 with it in out, 0 without PT_INTERP, -1 for headers this
 * cannot read. */
static int find_interp(const unsigned char *map, size_t size, char *out, size_t outlen)
{
	bool is64 = size > EI_CLASS && map[EI_CLASS] == ELFCLASS64;
	size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t phsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	uint64_t phoff;
	unsigned phnum, phentsize;
	if (size < ehsize)
		return -1;
	if (is64) {
		Elf64_Ehdr eh;
		memcpy(&eh, map, sizeof(eh));
		phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
	} else {
		Elf32_Ehdr eh;
		memcpy(&eh, map, sizeof(eh));
		phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
	}
	if (phentsize != phsize || phoff > size || (size - phoff) / phsize < phnum)
		return -1;
	for (unsigned i = 0; i < phnum; i++) {
		uint64_t type, offset, filesz;
		if (is64) {
			Elf64_Phdr ph;
			memcpy(&ph, map + phoff + i * phsize, sizeof(ph));
			type = ph.p_type, offset = ph.p_offset, filesz = ph.p_filesz;
		} else {
			Elf32_Phdr ph;
			memcpy(&ph, map + phoff + i * phsize, sizeof(ph));
			type = ph.p_type, offset = ph.p_offset, filesz = ph.p_filesz;
		}
		if (type != PT_INTERP)
			continue;
		if (offset > size || filesz > size - offset || filesz == 0 || filesz > outlen)
			return -1;
		memcpy(out, map + offset, filesz);
		out[filesz - 1] = '\0';
		return 1;
	}
	return 0;
}

/* "#!/usr/bin/env python3 -u" -> "python3"; "#!/bin/sh -e" -> "/bin/sh". */
static bool script_interpreter(const unsigned char *map, size_t size, char *out, size_t outlen)
{
	char line[256];
	size_t n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;
	memcpy(line, map, n);
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	char *save, *word = strtok_r(line + 2, " \t", &save);
	if (word == NULL)
		return false;
	if (strcmp(word, "/usr/bin/env") == 0 || strcmp(word, "/bin/env") == 0) {
		word = strtok_r(NULL, " \t", &save);
		while (word != NULL && word[0] == '-') /* env -S and the like */
			word = strtok_r(NULL, " \t", &save);
		if (word == NULL)
			return false;
	}
	snprintf(out, outlen, "%s", word);
	return true;
}

static enum clat_sv_need inspect_path(const char *program, char *why, size_t whylen, int depth)
{
	char path[PATH_MAX], interp[PATH_MAX];
	if (!find_on_path(program, path, sizeof(path))) {
		snprintf(why, whylen, "%s not found on PATH", program);
		return CLAT_SV_NEED_UNKNOWN;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < 4) {
		if (fd >= 0)
			close(fd);
		snprintf(why, whylen, "%s cannot be read", path);
		return CLAT_SV_NEED_UNKNOWN;
	}
	size_t size = (size_t)st.st_size;
	unsigned char *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		snprintf(why, whylen, "%s cannot be read", path);
		return CLAT_SV_NEED_UNKNOWN;
	}
	enum clat_sv_need need = CLAT_SV_NEED_NO;
	if (map[0] == '#' && map[1] == '!') {
		if (depth < SCRIPT_DEPTH && script_interpreter(map, size, interp, sizeof(interp))) {
			munmap(map, size);
			return inspect_path(interp, why, whylen, depth + 1);
		}
		snprintf(why, whylen, "%s: script with an unusable #! line", path);
	} else if (memcmp(map, ELFMAG, SELFMAG) != 0) {
		snprintf(why, whylen, "%s is not an ELF program", path);
	} else if (memmem(map, size, go_marker, sizeof(go_marker) - 1) != NULL) {
		snprintf(why, whylen, "%s is a Go program (Go build information)", path);
		need = CLAT_SV_NEED_YES;
	} else if (find_interp(map, size, interp, sizeof(interp)) == 0) {
		snprintf(why, whylen, "%s is statically linked (no PT_INTERP)", path);
		need = CLAT_SV_NEED_YES;
	} else {
		snprintf(why, whylen, "%s is dynamically linked (libc calls reach the library)",
			 path);
	}
	munmap(map, size);
	return need;
}

enum clat_sv_need clat_sv_inspect(const char *program, char *why, size_t whylen)
{
	return inspect_path(program, why, whylen, 0);
}

bool clat_sv_find_program(const char *program, char *path, size_t pathlen)
{
	return find_on_path(program, path, pathlen);
}

bool clat_sv_elf_interp(const char *path, char *out, size_t outlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	unsigned char *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return false;
	bool found = memcmp(map, ELFMAG, SELFMAG) == 0 &&
		find_interp(map, (size_t)st.st_size, out, outlen) == 1;
	munmap(map, (size_t)st.st_size);
	return found;
}
