/** How the rendered objects are laid out in the environment folder (promote-layout.ts writes them). */
export type FolderLayout = 'filePerObject' | 'singleFile';
export const FOLDER_LAYOUTS: readonly FolderLayout[] = ['filePerObject', 'singleFile'];
