#!/usr/bin/env node
// The compiled CLI; `npm install` builds it (the root package's prepare script).
import '../dist/cli/bin.js';
