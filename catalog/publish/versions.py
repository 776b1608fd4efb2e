"""Each release's docs site kept beside the others' on the site's branch, by mike.

    gh-pages/0.2.0/        the site as `build_site(versioned=True)` made it: pages, catalog.json, models/
    gh-pages/latest/       an alias: each page a redirect to the newest release's
    gh-pages/versions.json every release and its aliases, which the theme's version switcher reads
    gh-pages/index.html    a redirect to the default alias

So a card's figures can be read as they were at any release, and a release's catalog.json stays at
`<site>/<version>/catalog.json`, the address the posezoo of that release loads by default. Aliases are
redirects, not copies: the model files are stored once per release, and a static host needs no symlinks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from catalog.errors import first_line

DEFAULT_BRANCH = "gh-pages"
LATEST = "latest"


class VersionsError(Exception):
    """The site could not be committed as a version: why, in one line."""


def deploy_version(
    site_dir: Path,
    version: str,
    aliases: Sequence[str] = (LATEST,),
    *,
    repo: Path = Path("."),
    branch: str = DEFAULT_BRANCH,
) -> str:
    """Commit the built site in `site_dir` to `branch` of the git repository `repo` as `version`, with
    `aliases` moved onto it and the first alias made the site's default; returns the branch's commit.
    Nothing is pushed: the release workflow pushes the branch."""
    from mike import commands, git_utils

    cfg = {"site_dir": str(Path(site_dir).resolve()), "use_directory_urls": True}
    try:
        with contextlib.chdir(repo):
            # the site is built already: mike's deploy only commits it (its block is where mike would build);
            # a commit that changes nothing (the same site again, the default already set) is no error
            with commands.deploy(
                cfg, version, aliases=list(aliases), update_aliases=True,
                alias_type=commands.AliasType.redirect, branch=branch, allow_empty=True,
            ):  # fmt: skip
                pass
            if aliases:
                commands.set_default(aliases[0], branch=branch, allow_empty=True)
            return git_utils.get_latest_commit(branch)
    except (git_utils.GitError, ValueError) as error:
        raise VersionsError(f"mike could not deploy {version} to {branch}: {first_line(error)}") from None
