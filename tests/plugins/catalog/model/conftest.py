"""Realistic catalog-info examples of every built-in kind (Backstage demo-data style)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

EXAMPLES_YAML = r"""
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: artist-web
  title: Artist Web
  description: The place to be, for great artists
  labels:
    example.com/custom: custom_label_value
    tier: ""
  annotations:
    example.com/service-discovery: artistweb
    circleci.com/project-slug: github/example-org/artist-website
    backstage.io/techdocs-ref: dir:.
    github.com/project-slug: example-org/artist-website
  tags: [java, c++, "c#", "lang:kotlin"]
  links:
    - url: https://admin.example-org.com
      title: Admin Dashboard
      icon: dashboard
      type: admin-dashboard
    - url: mailto:artists@example.com
spec:
  type: website
  lifecycle: production
  owner: artist-relations-team
  system: artist-engagement-portal
  providesApis: [artist-api]
  consumesApis: [api:default/spotify-api, petstore]
  dependsOn: [resource:artists-db, component:default/auth-lib]
  dependencyOf: [component:mobile-app]
  subcomponentOf: artist-platform
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: artist-api
  description: Retrieve artist details
spec:
  type: openapi
  lifecycle: production
  owner: artist-relations-team
  system: artist-engagement-portal
  definition: |
    openapi: "3.0.0"
    info:
      version: 1.0.0
      title: Artist API
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: backstage-mcp-actions
  title: Backstage MCP Server
spec:
  type: mcp-server
  lifecycle: experimental
  owner: backstage
  remotes:
    - type: streamable-http
      url: http://internal.backstage.company:7007/api/mcp-actions/v1
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: artists-db
  description: Stores artist details
spec:
  type: database
  owner: artist-relations-team
  system: artist-engagement-portal
  dependsOn: [resource:storage-cluster]
  dependencyOf: [component:artist-web]
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: artist-engagement-portal
  description: Handy tools to keep artists in the loop
spec:
  owner: artist-relations-team
  domain: artists
  type: product
---
apiVersion: backstage.io/v1alpha1
kind: Domain
metadata:
  name: artists
  description: Everything about artists
spec:
  owner: artist-relations-team
  subdomainOf: music
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: infrastructure
  namespace: ops
  description: The infra business unit
spec:
  type: business-unit
  profile:
    displayName: Infrastructure
    email: infrastructure@example.com
    picture: https://example.com/groups/bu-infrastructure.jpeg
  parent: ops
  children: [backstage, other]
  members: [jdoe]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: jdoe
spec:
  profile:
    displayName: Jenny Doe
    email: jenny-doe@example.com
    picture: https://example.com/staff/jenny-with-party-hat.jpeg
  memberOf: [team-b, employees]
---
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: org-data
spec:
  type: url
  targets:
    - https://github.com/myorg/myproject/org-data-dump/catalog-info-staff.yaml
    - ./catalog-info-consultants.yaml
  presence: optional
---
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: react-ssr-template
  title: React SSR Template
  description: Next.js application skeleton for creating isomorphic web applications.
  tags: [recommended, react]
spec:
  owner: artist-relations-team
  type: website
  lifecycle: production
  parameters:
    - title: Fill in some steps
      required: [name]
      properties:
        name:
          title: Name
          type: string
          ui:autofocus: true
          ui:options: {rows: 5}
        owner:
          title: Owner
          type: string
          ui:field: OwnerPicker
          ui:options:
            catalogFilter: [{kind: Group}]
    - title: Choose a location
      required: [repoUrl]
      properties:
        repoUrl:
          title: Repository Location
          type: string
          ui:field: RepoUrlPicker
          ui:options: {allowedHosts: [github.com]}
  steps:
    - id: fetch
      name: Fetch
      action: fetch:template
      input:
        url: ./skeleton
        values: {name: "${{ parameters.name }}"}
    - id: publish
      name: Publish
      action: publish:github
      input: {repoUrl: "${{ parameters.repoUrl }}"}
      if: ${{ parameters.repoUrl }}
    - action: catalog:register
      input:
        repoContentsUrl: ${{ steps['publish'].output.repoContentsUrl }}
        catalogInfoPath: /catalog-info.yaml
  output:
    links:
      - title: Repository
        url: ${{ steps['publish'].output.remoteUrl }}
      - title: Open in catalog
        icon: catalog
        entityRef: ${{ steps['register'].output.entityRef }}
    text:
      - title: Next steps
        content: "**Done**"
    catalogInfoUrl: ${{ steps.publish.output.catalogInfoUrl }}
"""


def _examples() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for doc in yaml.safe_load_all(EXAMPLES_YAML):
        out[doc["metadata"]["name"]] = doc
    return out


_EXAMPLES = _examples()


@pytest.fixture
def examples() -> dict[str, dict[str, Any]]:
    """A fresh deep copy of every example, keyed by metadata.name."""
    return copy.deepcopy(_EXAMPLES)


@pytest.fixture
def examples_yaml() -> str:
    """The examples as one multi-document YAML stream."""
    return EXAMPLES_YAML
