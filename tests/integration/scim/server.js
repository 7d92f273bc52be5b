// server.js - a SCIM 2.0 service provider for lakeform's tests: SCIMMY (the
// SCIM implementation) behind scimmy-routers and express, in memory, on
// 127.0.0.1, requiring a bearer token.
//
//   node server.js --port N --token T [--bulk on|off] [--etag on|off]
//
// Users (with lakeform's service principal extension schema) and Groups;
// SCIMMY filters, pages, applies PATCH operations and /Bulk (its own
// BulkRequest; nothing of /Bulk is written here).  What this file adds is
// storage (SCIMMY leaves it to the handlers), uniqueness of userName and a
// group's displayName (409), the members' `type`, a version per object
// with If-Match checked (412) when --etag on, and GET /stats (no token):
// the number of SCIM requests served (for the benchmark), of /Bulk
// requests, of writes carrying If-Match (or a bulk operation's version) and
// of list pages after the first.
import express from "express";
import SCIMMYRouters, {SCIMMY} from "scimmy-routers";
import {randomUUID} from "node:crypto";

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) =>
    (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const port = Number(args.port);
const token = args.token;
const bulk = (args.bulk ?? "on") === "on";
const etag = (args.etag ?? "on") === "on";
if (!port || !token) {
    console.error("usage: node server.js --port N --token T [--bulk on|off] [--etag on|off]");
    process.exit(2);
}

const SP_EXT = "urn:ietf:params:scim:schemas:extension:lakeform:2.0:ServicePrincipal";
class ServicePrincipalExtension extends SCIMMY.Types.Schema {
    static #definition = new SCIMMY.Types.SchemaDefinition("ServicePrincipal", SP_EXT,
        "A User that is a service principal (lakeform)", [
            new SCIMMY.Types.Attribute("string", "applicationId"),
            new SCIMMY.Types.Attribute("boolean", "servicePrincipal"),
        ]);
    static get id() { return SP_EXT; }
    static get definition() { return ServicePrincipalExtension.#definition; }
}

const stores = {User: new Map(), Group: new Map()};
let requests = 0, bulkRequests = 0, ifMatch = 0, pages = 0;

function stamp(o) {
    const version = (o.meta?.n ?? 0) + 1;
    const now = new Date().toISOString();
    o.meta = {n: version, created: o.meta?.created ?? now, lastModified: now};
    return o;
}
function out(kind, o) {
    const {meta, ...rest} = o;
    const m = {resourceType: kind, created: new Date(meta.created), lastModified: new Date(meta.lastModified)};
    if (etag) m.version = `W/"${meta.n}"`;
    return {...rest, meta: m};
}
function unique(kind, key, value, id) {
    for (const o of stores[kind].values())
        if (o.id !== id && String(o[key]).toLowerCase() === String(value).toLowerCase())
            throw new SCIMMY.Types.Error(409, "uniqueness", `${key} '${value}' is taken`);
}

function handlers(kind, key) {
    const store = stores[kind];
    return {
        egress: (resource) => {
            if (resource.id) {
                const o = store.get(resource.id);
                if (!o) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
                return out(kind, o);
            }
            const all = [...store.values()].map(o => out(kind, o));
            return resource.filter ? resource.filter.match(all) : all;
        },
        ingress: (resource, instance) => {
            const data = JSON.parse(JSON.stringify(instance));
            delete data.meta; delete data.schemas;
            unique(kind, key, data[key], resource.id);
            if (kind === "Group")
                data.members = (data.members ?? []).map(m => ({
                    value: m.value,
                    type: stores.Group.has(m.value) ? "Group" : "User",
                }));
            if (resource.id) {
                const old = store.get(resource.id);
                if (!old) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
                const o = stamp({...data, id: old.id, meta: old.meta});
                store.set(o.id, o);
                return out(kind, o);
            }
            const o = stamp({...data, id: randomUUID()});
            store.set(o.id, o);
            return out(kind, o);
        },
        degress: (resource) => {
            if (!store.delete(resource.id))
                throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
            // a deleted object is no group's member any more
            for (const g of stores.Group.values())
                g.members = (g.members ?? []).filter(m => m.value !== resource.id);
        },
    };
}

SCIMMY.Resources.declare(SCIMMY.Resources.User.extend(ServicePrincipalExtension, false),
    handlers("User", "userName"));
SCIMMY.Resources.declare(SCIMMY.Resources.Group, handlers("Group", "displayName"));

const app = express();
app.get("/stats", (req, res) => res.json({requests, bulk: bulkRequests, ifMatch, pages}));
app.use("/scim/v2", express.json({type: ["application/scim+json", "application/json"], limit: "64mb"}));
app.use("/scim/v2", (req, res, next) => {
    requests++;
    if (req.method === "POST" && req.path === "/Bulk") {
        bulkRequests++;
        ifMatch += (req.body?.Operations ?? []).filter(o => o.version).length;
    }
    if (req.header("If-Match")) ifMatch++;
    if (req.method === "GET" && Number(req.query.startIndex) > 1) pages++;
    // If-Match on a write of one object: its version must be the current one
    const m = req.path.match(/^\/(Users|Groups)\/([^/]+)$/);
    const want = req.header("If-Match");
    if (etag && m && want && ["PUT", "PATCH", "DELETE"].includes(req.method)) {
        const o = stores[m[1] === "Users" ? "User" : "Group"].get(m[2]);
        if (o && want !== "*" && want !== `W/"${o.meta.n}"`) {
            res.status(412).type("application/scim+json").send(JSON.stringify({
                schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
                status: "412", detail: `version ${want} is not the current W/"${o.meta.n}"`,
            }));
            return;
        }
    }
    next();
});
app.use("/scim/v2", new SCIMMYRouters({
    type: "bearer",
    handler: (req) => {
        if (req.header("Authorization") !== `Bearer ${token}`)
            throw new Error("the bearer token is wrong");
        return "lakeform-tests";
    },
}));
SCIMMY.Config.set({
    bulk: {supported: bulk, maxOperations: 1000, maxPayloadSize: 64 << 20},
    etag: {supported: etag},
    filter: {supported: true, maxResults: 1000},
});

const server = app.listen(port, "127.0.0.1", () => console.log(`scim server on 127.0.0.1:${port}, bulk ${bulk ? "on" : "off"}, etag ${etag ? "on" : "off"}`));
// SCIMMY answers a page by building every match first: with 10,000 users
// one page holds the event loop for seconds, after which node's 5 s
// keep-alive timer would reset connections that clients had just sent on
server.keepAliveTimeout = 120000;
server.headersTimeout = 125000;
