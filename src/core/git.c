#include "git.h"

#include <git2.h>
#include <string.h>

int lf_git_head(char out[41], const char *path)
{
	git_repository *repo = NULL;
	git_oid oid;
	int err = -1;

	git_libgit2_init();
	if (git_repository_open_ext(&repo, path, 0, NULL) == 0 &&
	    git_reference_name_to_id(&oid, repo, "HEAD") == 0) {
		git_oid_tostr(out, 41, &oid);
		err = 0;
	}
	git_repository_free(repo);
	git_libgit2_shutdown();
	return err;
}
