/** shared/devops: what the tasks call to work with Azure Repos (see each module for details). */
export * from './connection';
export * from './errors';
export * from './repository-ref';
export * from './repository';
export * from './repo-paths';
export * from './git-blob';
export * from './folder-diff';
export * from './commit-folder';
export * from './identities';
export * from './work-items';
export * from './pull-requests';
export * from './pull-request-wait';
export * from './policy-evaluations';
export * from './commit-ancestry';
export * from './statuses';
export * from './comment-thread';
export * from './transient';
