"""Well-known annotation keys (``catalog-model`` constants and common plugin keys)."""

from __future__ import annotations

ANNOTATION_LOCATION = "backstage.io/managed-by-location"
ANNOTATION_ORIGIN_LOCATION = "backstage.io/managed-by-origin-location"
ANNOTATION_SOURCE_LOCATION = "backstage.io/source-location"
ANNOTATION_VIEW_URL = "backstage.io/view-url"
ANNOTATION_EDIT_URL = "backstage.io/edit-url"
ANNOTATION_ORPHAN = "backstage.io/orphan"
ANNOTATION_TECHDOCS_REF = "backstage.io/techdocs-ref"
ANNOTATION_TECHDOCS_ENTITY = "backstage.io/techdocs-entity"
ANNOTATION_KUBERNETES_ID = "backstage.io/kubernetes-id"
ANNOTATION_GITHUB_PROJECT_SLUG = "github.com/project-slug"

# Values with this scheme are replaced at stitch time by SECURITY_REJECTED_URL.
UNSAFE_URL_SCHEME = "javascript:"
SECURITY_REJECTED_URL = "https://backstage.io/annotation-rejected-for-security-reasons"

# Written by the catalog on every processed entity; missing ones are an input error there.
REQUIRED_PROCESSED_ANNOTATIONS: tuple[str, ...] = (ANNOTATION_LOCATION, ANNOTATION_ORIGIN_LOCATION)
