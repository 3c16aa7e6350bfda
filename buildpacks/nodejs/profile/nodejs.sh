# Written by the nodejs buildpack (Heroku's): the app's node first on PATH, NODE_ENV production.
export PATH="$HOME/.heroku/node/bin:$HOME/.heroku/corepack/bin:$PATH:$HOME/bin:$HOME/node_modules/.bin"
if [[ -x "$HOME/.heroku/node/bin/node" ]]; then export NODE_HOME="$HOME/.heroku/node"; fi
if [[ -d "$HOME/.heroku/corepack" ]]; then export COREPACK_HOME="$HOME/.heroku/corepack" COREPACK_ENABLE_DOWNLOAD_PROMPT=0; fi
export NODE_ENV="${NODE_ENV:-production}"
