//! Notify config, image upload and the partner-only image-generation tasks.

use coupon_model::image_task::{
    CreateImageGenerationTaskBody, CreateImageGenerationTaskResponse, ImageGenerationTask,
    ImageResult,
};
use coupon_model::media::{ImageMeta, UploadImageResponse};
use coupon_model::notify::{NotifyUrlConfig, SetNotifyConfigBody};
use sha2::{Digest as _, Sha256};

use super::{Call, Reply, refused};
use crate::respond::ApiError;
use crate::state::{State, TaskRecord, sp_key};
use crate::timeutil::timestamp;

/// The host of the URLs image upload hands out (WeChat Pay's image CDN).
pub(crate) const IMAGE_URL_PREFIX: &str = "https://wxpaylogo.qpic.cn/wxpaylogo/sandbox";

/// The task state of a finished image-generation task.
pub(crate) const TASK_DONE: &str = "SUCCESS";

impl State {
    /// Whose notify URL a call addresses: the brand's, or on the partner side
    /// the service provider's (one URL for all its brands).
    fn notify_key(&self, call: &Call<'_>) -> String {
        if call.partner() {
            sp_key(&self.mchid)
        } else {
            call.brand().to_owned()
        }
    }

    /// `GET …/notify-configs`: `{}` until a URL is set.
    pub(crate) fn get_notify_config(&self, call: &Call<'_>) -> Result<NotifyUrlConfig, ApiError> {
        Ok(self
            .notify
            .get(&self.notify_key(call))
            .cloned()
            .unwrap_or_default())
    }

    /// `POST …/notify-configs`: later sends notify this URL.
    pub(crate) fn set_notify_config(
        &mut self,
        call: &Call<'_>,
        body: SetNotifyConfigBody,
    ) -> Result<Reply<NotifyUrlConfig>, ApiError> {
        let config = NotifyUrlConfig {
            notify_url: Some(body.notify_url),
            update_time: Some(timestamp(call.now)),
        };
        self.notify.insert(self.notify_key(call), config.clone());
        Ok(Reply::of(config))
    }

    /// `POST …/media/upload-image`: the file's SHA-256 must match `meta.sha256`;
    /// the answer's URL is accepted wherever an image URL goes.
    pub(crate) fn upload_image(
        &mut self,
        meta: &ImageMeta,
        file: &[u8],
    ) -> Result<Reply<UploadImageResponse>, ApiError> {
        let digest: String = Sha256::digest(file)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if !meta.sha256.eq_ignore_ascii_case(&digest) {
            return Err(ApiError::param(
                "/sha256",
                "body",
                format!(
                    "图片摘要不一致 (meta.sha256 {:?} is not the SHA-256 of the file part, {digest})",
                    meta.sha256
                ),
            ));
        }
        self.seq.image = self.seq.image.wrapping_add(1);
        let url = format!("{IMAGE_URL_PREFIX}/{}/{}", &digest[..32], self.seq.image);
        self.images.push(url.clone());
        Ok(Reply::of(UploadImageResponse {
            image_url: Some(url),
        }))
    }

    /// `POST …/image-generation-tasks` (partner only): finished at once.
    pub(crate) fn create_image_task(
        &mut self,
        call: &Call<'_>,
        body: CreateImageGenerationTaskBody,
    ) -> Result<Reply<CreateImageGenerationTaskResponse>, ApiError> {
        let id = match body.task_id {
            Some(id) if self.tasks.contains_key(id.as_str()) => {
                return Err(refused(
                    None,
                    format!("任务已存在 (image-generation task {id} exists; use another task_id)"),
                ));
            }
            Some(id) => id.as_str().to_owned(),
            None => {
                self.seq.task = self.seq.task.wrapping_add(1);
                format!("task_{:012}", self.seq.task)
            }
        };
        self.seq.image = self.seq.image.wrapping_add(1);
        let result = ImageResult {
            image_url: Some(format!(
                "{IMAGE_URL_PREFIX}/generated/{id}/{}",
                self.seq.image
            )),
        };
        let cut_out = body.cut_out.is_some();
        let task = ImageGenerationTask {
            brand_id: None,
            task_id: Some(id.as_str().into()),
            task_state: Some(TASK_DONE.to_owned()),
            image_generation_type: Some(body.image_generation_type),
            combine_image_result: (!cut_out).then(|| result.clone()),
            cut_out_result: cut_out.then_some(result),
        };
        self.tasks.insert(
            id.clone(),
            TaskRecord {
                owner: call.brand().to_owned(),
                task,
            },
        );
        Ok(Reply::of(CreateImageGenerationTaskResponse {
            brand_id: None,
            task_id: Some(id.as_str().into()),
        }))
    }

    /// `GET …/image-generation-tasks/{task_id}` (partner only).
    pub(crate) fn get_image_task(&self, call: &Call<'_>) -> Result<ImageGenerationTask, ApiError> {
        let id = call.params.get("task_id");
        let record = self.tasks.get(id).ok_or_else(|| {
            super::not_found(
                "task_id",
                "path",
                format!("未找到任务 (no image-generation task {id:?} in the sandbox)"),
            )
        })?;
        if record.owner != call.brand() {
            return Err(super::foreign("任务", id, &record.owner, call.brand()));
        }
        Ok(record.task.clone())
    }
}
