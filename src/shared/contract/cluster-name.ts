/** A cluster name (a path segment of every cluster route, and part of its Fly app name). */
export const CLUSTER_NAME = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;
export const CLUSTER_NAME_RULE = "1-40 lowercase letters, digits or '-', starting and ending alphanumeric";
