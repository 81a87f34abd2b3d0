#!/usr/bin/env bash
# Re-vendor the explorer's JavaScript from the npm registry at the versions pinned below,
# copy their licences, and print the sha256 sums to write into VENDORED.md.
# Usage: bash provgraph/explorer/vendor/update.sh   (needs npm; change the versions first)
set -euo pipefail
CYTOSCAPE=3.35.0
CYTOSCAPE_DAGRE=4.0.1   # bundles @dagrejs/dagre and @dagrejs/graphlib
DAGRE=3.1.3
GRAPHLIB=4.0.6
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack "cytoscape@$CYTOSCAPE" "cytoscape-dagre@$CYTOSCAPE_DAGRE" \
  "@dagrejs/dagre@$DAGRE" "@dagrejs/graphlib@$GRAPHLIB" >/dev/null
for f in *.tgz; do mkdir -p "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
cp "cytoscape-$CYTOSCAPE/package/dist/cytoscape.min.js" "$here/"
cp "cytoscape-dagre-$CYTOSCAPE_DAGRE/package/dist/cytoscape-dagre.min.js" "$here/"
cp "cytoscape-$CYTOSCAPE/package/LICENSE" "$here/LICENSE.cytoscape"
cp "cytoscape-dagre-$CYTOSCAPE_DAGRE/package/LICENSE" "$here/LICENSE.cytoscape-dagre"
cp "dagrejs-dagre-$DAGRE/package/LICENSE" "$here/LICENSE.dagre"
cp "dagrejs-graphlib-$GRAPHLIB/package/LICENSE" "$here/LICENSE.graphlib"
cd "$here" && sha256sum ./*.js
